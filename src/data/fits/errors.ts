// Every problem with a FITS file is reported as a FitsError whose message starts with the file's name, so a user
// running on a directory of frames knows which one is bad and why.
export class FitsError extends Error {
  constructor(readonly fileName: string, readonly problem: string) {
    super(`${fileName}: ${problem}`);
    this.name = "FitsError";
  }
}
