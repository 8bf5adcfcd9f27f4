// FITS header cards: the ordered list a header is, and the parser for one 80-character card. Values follow astropy's
// reading: strings unquoted with '' → ', trailing blanks dropped; integers and reals (E or D exponent) as numbers;
// T/F as booleans; an empty value as null; COMMENT/HISTORY/blank-key cards carry their text as the value.

/** A card's value. Complex values ("(1.0, 2.0)") and anything else unparsable are kept as their raw text. */
export type FitsValue = string | number | boolean | null;

export interface FitsCard {
  key: string;
  value: FitsValue;
  comment: string;
}

/** Keys whose cards hold free text rather than a value. */
export const COMMENTARY_KEYS: ReadonlySet<string> = new Set(["COMMENT", "HISTORY", ""]);

/** An ordered header. `get` returns the first card's value, as FITS readers do for repeated keys. */
export class FitsHeader {
  readonly cards: readonly FitsCard[];

  constructor(cards: readonly FitsCard[]) {
    this.cards = cards;
  }

  has(key: string): boolean {
    return this.cards.some((c) => c.key === key);
  }

  get(key: string): FitsValue | undefined {
    return this.cards.find((c) => c.key === key)?.value;
  }

  /** The value if it is a number, else undefined (so `header.number("GAIN") ?? 1` reads naturally). */
  number(key: string): number | undefined {
    const v = this.get(key);
    return typeof v === "number" ? v : undefined;
  }

  string(key: string): string | undefined {
    const v = this.get(key);
    return typeof v === "string" ? v : undefined;
  }
}

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;

/** Parses a value field (the card from column 11, or after HIERARCH's '='): value and comment. */
function parseValueField(field: string): { value: FitsValue; comment: string; quoted: boolean } {
  let i = 0;
  while (i < field.length && field[i] === " ") i++;
  if (field[i] === "'") {
    let text = "";
    let j = i + 1;
    for (; j < field.length; j++) {
      if (field[j] !== "'") {
        text += field[j];
      } else if (field[j + 1] === "'") {
        text += "'";
        j++;
      } else {
        break;
      }
    }
    // An unterminated string keeps what is there rather than rejecting a whole file for one card.
    const rest = field.slice(j + 1);
    const slash = rest.indexOf("/");
    return { value: text.trimEnd(), comment: slash < 0 ? "" : rest.slice(slash + 1).trim(), quoted: true };
  }
  const slash = field.indexOf("/", i);
  const token = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? "" : field.slice(slash + 1).trim();
  let value: FitsValue;
  if (token === "") value = null;
  else if (token === "T") value = true;
  else if (token === "F") value = false;
  else if (INTEGER.test(token)) value = Number(token);
  else if (REAL.test(token)) value = Number(token.replace(/[Dd]/, "E"));
  else value = token;
  return { value, comment, quoted: false };
}

/** One card from its 80 characters. `quoted` tells a string value from other text (for CONTINUE). */
export function parseCard(line: string): FitsCard & { quoted: boolean } {
  if (line.startsWith("HIERARCH ")) {
    const eq = line.indexOf("=", 9);
    if (eq > 0) return { key: line.slice(9, eq).trim(), ...parseValueField(line.slice(eq + 1)) };
  }
  const key = line.slice(0, 8).trimEnd();
  if (!COMMENTARY_KEYS.has(key) && line.slice(8, 10) === "= ") return { key, ...parseValueField(line.slice(10)) };
  return { key, value: line.slice(8).trimEnd(), comment: "", quoted: false };
}

/** Parses header lines (END excluded), joining long strings split over CONTINUE cards. */
export function parseCards(lines: readonly string[]): FitsCard[] {
  const cards: FitsCard[] = [];
  let open: FitsCard | null = null; // a string card whose value ends with '&'
  for (const line of lines) {
    if (open && line.startsWith("CONTINUE")) {
      const part = parseValueField(line.slice(8));
      if (part.quoted && typeof part.value === "string" && typeof open.value === "string") {
        open.value = open.value.slice(0, -1) + part.value;
        if (part.comment) open.comment = open.comment ? `${open.comment} ${part.comment}` : part.comment;
        if (!part.value.endsWith("&")) open = null;
        continue;
      }
    }
    const { quoted, ...card } = parseCard(line);
    cards.push(card);
    open = quoted && typeof card.value === "string" && card.value.endsWith("&") ? card : null;
  }
  return cards;
}
