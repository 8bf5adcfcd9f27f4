// Formats header cards as 80-character lines (FITS standard 4.0, §4): key in columns 1–8, "= " in 9–10; numbers
// and logicals right-justified to column 30; strings quoted from column 11 with ' doubled, at least 8 characters
// inside the quotes; strings too long for one card continued on CONTINUE cards (all parts but the last end in '&').
import { FitsError } from "./errors.ts";
import { COMMENTARY_KEYS, type FitsCard, type FitsValue } from "./header.ts";
import { CARD } from "./structure.ts";

const STANDARD_KEY = /^[A-Z0-9_-]{1,8}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Room for a string part on a first or CONTINUE card: 80 − 10 columns − 2 quotes − the '&'. */
const STRING_PART = CARD - 10 - 2 - 1;

function fail(key: string, problem: string): never {
  throw new FitsError("writeFits", `header card '${key}': ${problem}`);
}

function formatNumber(key: string, v: number): string {
  if (!Number.isFinite(v)) fail(key, `${v} cannot be written in a FITS header`);
  if (Number.isSafeInteger(v)) return String(v);
  // The shortest text that reads back as the same double; past 20 characters it no longer ends in column 30, which
  // the standard allows for non-mandatory keywords (free format) and which keeps WCS values exact.
  const s = String(v).toUpperCase();
  return s.includes(".") || s.includes("E") ? s : `${s}.0`;
}

/** Splits `text` into parts whose quoted-escaped length is at most `room`, never splitting a doubled quote. */
function splitString(text: string, room: number): string[] {
  const parts: string[] = [];
  let part = "";
  for (const ch of text) {
    const add = ch === "'" ? "''" : ch;
    if (part.length + add.length > room) {
      parts.push(part);
      part = "";
    }
    part += add;
  }
  parts.push(part);
  return parts;
}

function withComment(line: string, comment: string): string {
  if (comment === "" || line.length + 3 >= CARD) return line.padEnd(CARD);
  return `${line} / ${comment}`.slice(0, CARD).padEnd(CARD);
}

function formatValue(key: string, value: Exclude<FitsValue, string>): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "T" : "F";
  return formatNumber(key, value);
}

/** One card as one or more 80-character lines. */
export function formatCard(card: FitsCard): string[] {
  const { key, value, comment } = card;
  const text = typeof value === "string" ? value : String(value ?? "");
  if (!PRINTABLE.test(key) || !PRINTABLE.test(text) || !PRINTABLE.test(comment)) {
    fail(key, "FITS headers hold printable ASCII only");
  }
  if (COMMENTARY_KEYS.has(key)) {
    // Free text: columns 9–80, over as many cards as needed.
    const lines: string[] = [];
    for (let i = 0; i === 0 || i < text.length; i += CARD - 8) {
      lines.push((key.padEnd(8) + text.slice(i, i + 72)).padEnd(CARD));
    }
    return lines;
  }
  if (!STANDARD_KEY.test(key)) {
    // HIERARCH convention (ESO): a long or free-form key, then "= value".
    if (key.includes("=")) fail(key, "a key cannot contain '='");
    const v = typeof value === "string" ? `'${value.replace(/'/g, "''")}'` : formatValue(key, value);
    const line = `HIERARCH ${key} = ${v}`;
    if (line.length > CARD) fail(key, "too long for one HIERARCH card");
    return [withComment(line, comment)];
  }
  if (typeof value !== "string") {
    return [withComment(`${key.padEnd(8)}= ${formatValue(key, value).padStart(20)}`, comment)];
  }
  const escaped = value.replace(/'/g, "''");
  if (10 + escaped.length + 2 <= CARD) {
    // Padded to 20 columns so that comments line up with those of numbers (column 32), as astropy writes them.
    return [withComment(`${key.padEnd(8)}= ${`'${escaped.padEnd(8)}'`.padEnd(20)}`, comment)];
  }
  const parts = splitString(value, STRING_PART);
  return parts.map((part, i) => {
    const last = i === parts.length - 1;
    const line = `${i === 0 ? key.padEnd(8) + "= " : "CONTINUE  "}'${part}${last ? "" : "&"}'`;
    return last ? withComment(line, comment) : line.padEnd(CARD);
  });
}
