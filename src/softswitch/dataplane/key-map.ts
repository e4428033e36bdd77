/**
 * Maps from whole table keys (one value per key field) to entries, for the exact and LPM
 * indexes. Field values are packed into numbers: one number when the key fits in 53 bits,
 * two nested levels when it fits in two such words (as (VIP, protocol, port) does), and a
 * string only beyond that, so common lookups build no string.
 */
import { MAX_NUMBER_WIDTH } from './bit-io.ts';

/** A key field's value as lookups hold it: a number up to 53 bits, else a bigint. */
export type KeyValue = number | bigint;

export interface KeyMap<T> {
  get(values: readonly KeyValue[]): T | undefined;
  set(values: readonly KeyValue[], value: T): void;
  delete(values: readonly KeyValue[]): void;
  readonly size: number;
}

export function keyMap<T>(widths: readonly number[]): KeyMap<T> {
  const words = packWords(widths);
  if (words?.length === 1) return new NumberKeyMap<T>(words[0]!);
  if (words?.length === 2) return new PairKeyMap<T>(words[0]!, words[1]!);
  return new StringKeyMap<T>();
}

/** A run of key fields packed into one number: field indexes and their scales. */
interface Word {
  readonly fields: readonly number[];
  readonly scales: readonly number[];
}

/** Groups consecutive fields into words of at most 53 bits; undefined if a field is wider. */
function packWords(widths: readonly number[]): Word[] | undefined {
  if (widths.some((w) => w > MAX_NUMBER_WIDTH)) return undefined;
  const words: { fields: number[]; scales: number[]; bits: number }[] = [];
  widths.forEach((width, i) => {
    let word = words[words.length - 1];
    if (!word || word.bits + width > MAX_NUMBER_WIDTH) {
      word = { fields: [], scales: [], bits: 0 };
      words.push(word);
    }
    word.fields.push(i);
    word.scales.push(2 ** width);
    word.bits += width;
  });
  if (words.length === 0) words.push({ fields: [], scales: [], bits: 0 });
  return words;
}

function pack(word: Word, values: readonly KeyValue[]): number {
  const { fields, scales } = word;
  let k = 0;
  for (let i = 0; i < fields.length; i++) k = k * scales[i]! + (values[fields[i]!] as number);
  return k;
}

class NumberKeyMap<T> implements KeyMap<T> {
  private readonly map = new Map<number, T>();

  constructor(private readonly word: Word) {}

  get size(): number {
    return this.map.size;
  }

  get(values: readonly KeyValue[]): T | undefined {
    return this.map.get(pack(this.word, values));
  }

  set(values: readonly KeyValue[], value: T): void {
    this.map.set(pack(this.word, values), value);
  }

  delete(values: readonly KeyValue[]): void {
    this.map.delete(pack(this.word, values));
  }
}

class PairKeyMap<T> implements KeyMap<T> {
  private readonly map = new Map<number, Map<number, T>>();
  private count = 0;

  constructor(
    private readonly first: Word,
    private readonly second: Word,
  ) {}

  get size(): number {
    return this.count;
  }

  get(values: readonly KeyValue[]): T | undefined {
    return this.map.get(pack(this.first, values))?.get(pack(this.second, values));
  }

  set(values: readonly KeyValue[], value: T): void {
    const outer = pack(this.first, values);
    let inner = this.map.get(outer);
    if (!inner) {
      inner = new Map();
      this.map.set(outer, inner);
    }
    const key = pack(this.second, values);
    if (!inner.has(key)) this.count++;
    inner.set(key, value);
  }

  delete(values: readonly KeyValue[]): void {
    const outer = pack(this.first, values);
    const inner = this.map.get(outer);
    if (inner?.delete(pack(this.second, values))) {
      this.count--;
      if (inner.size === 0) this.map.delete(outer);
    }
  }
}

class StringKeyMap<T> implements KeyMap<T> {
  private readonly map = new Map<string, T>();

  get size(): number {
    return this.map.size;
  }

  get(values: readonly KeyValue[]): T | undefined {
    return this.map.get(values.join(','));
  }

  set(values: readonly KeyValue[], value: T): void {
    this.map.set(values.join(','), value);
  }

  delete(values: readonly KeyValue[]): void {
    this.map.delete(values.join(','));
  }
}
