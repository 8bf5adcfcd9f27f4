// Every problem with a dataset (its manifest, a shard, a builder input) is a DatasetError whose message starts with
// the file concerned, like FitsError, so that "which file, what is wrong" is always in the first line.
export class DatasetError extends Error {
  constructor(readonly fileName: string, readonly problem: string) {
    super(`${fileName}: ${problem}`);
    this.name = "DatasetError";
  }
}
