// FITS images in and out (FITS standard 4.0), with our own reader and writer. fitsjs 0.6.6 is not used: under Deno
// it cannot decode pixels (it starts classic Web Workers), it mis-decodes BITPIX −64, unsigned integers
// (BZERO = 32768) and BLANK, drops quotes/CONTINUE/HIERARCH in headers, and never calls back on a truncated or
// non-FITS file, so every part of it that we would need had to be replaced anyway.
export { FitsError } from "./fits/errors.ts";
export { type FitsCard, FitsHeader, type FitsValue } from "./fits/header.ts";
export type { Bitpix } from "./fits/pixels.ts";
export type { FitsHdu } from "./fits/structure.ts";
export { type FitsFile, type FitsImage, readFits, readImage, type ReadImageOptions } from "./fits/read.ts";
export { type FitsImageInput, type PixelArray, type WriteBitpix, writeFits } from "./fits/write.ts";
