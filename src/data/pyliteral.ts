// A parser for the subset of Python literal syntax that numpy writes in .npy
// headers (dicts, tuples, lists, strings, ints, floats, True/False/None).
// numpy writes the header with repr() and reads it with ast.literal_eval, so
// it is a Python expression, not JSON: single quotes, tuples, trailing commas,
// `(3,)` for one-element tuples, and `3L` for ints in files from Python 2.
// Parsing it as data (never evaluating it) is what keeps a hostile file harmless.

/** A Python value: tuples and lists both become arrays; dicts need string keys. */
export type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** Parses one Python literal; anything after it other than whitespace is an error. */
export function parsePyLiteral(text: string): PyValue {
  const parser = new LiteralParser(text);
  const value = parser.value();
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail('unexpected text after the value');
  return value;
}

const NUMBER = /[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?/y;
const INT_SUFFIX = /[lL]/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

class LiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(problem: string): never {
    throw new SyntaxError(`${problem} at offset ${this.pos} of ${JSON.stringify(this.text.slice(0, 200))}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  value(): PyValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of text');
    if (c === '{') return this.dict();
    if (c === '(') return this.tuple();
    if (c === '[') return this.sequence('[', ']');
    if (c === "'" || c === '"') return this.string();
    // Python 2 wrote u'...' for unicode strings; b'...' is a bytes literal.
    if ((c === 'u' || c === 'b' || c === 'U' || c === 'B') && (this.text[this.pos + 1] === "'" || this.text[this.pos + 1] === '"')) {
      this.pos++;
      return this.string();
    }
    if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return this.number();
    return this.word();
  }

  private dict(): Map<string, PyValue> {
    const result = new Map<string, PyValue>();
    this.pos++; // '{'
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return result;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('dict key is not a string');
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':' after dict key");
      this.pos++;
      result.set(key, this.value());
      if (!this.separator('}')) this.fail("expected ',' or '}' in dict");
    }
  }

  // `(x)` is just x in Python; only a comma makes a tuple: `(x,)`, `(x, y)`, `()`.
  private tuple(): PyValue {
    const start = this.pos;
    const items = this.sequence('(', ')');
    if (items.length === 1 && !/,\s*\)$/.test(this.text.slice(start, this.pos))) return items[0];
    return items;
  }

  private sequence(open: string, close: string): PyValue[] {
    const items: PyValue[] = [];
    this.pos++; // open
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      if (!this.separator(close)) this.fail(`expected ',' or '${close}' after item ${items.length} of '${open}${close}'`);
    }
  }

  /** Consumes a ',' (true) or leaves the closing bracket for the caller (true); false for anything else. */
  private separator(close: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] === ',') {
      this.pos++;
      return true;
    }
    return this.text[this.pos] === close;
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      switch (e) {
        case undefined: this.fail('unterminated string');
        case '\\': case "'": case '"': out += e; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '0': out += '\0'; break;
        case 'x': out += this.hexEscape(2); break;
        case 'u': out += this.hexEscape(4); break;
        case 'U': out += this.hexEscape(8); break;
        // Python keeps unknown escapes as written.
        default: out += '\\' + e;
      }
    }
  }

  private hexEscape(digits: number): string {
    const hex = this.text.slice(this.pos, this.pos + digits);
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) this.fail('bad escape in string');
    this.pos += digits;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) this.fail('bad escape in string');
    return String.fromCodePoint(code);
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail('bad number');
    this.pos += m[0].length;
    INT_SUFFIX.lastIndex = this.pos;
    if (/^[-+]?\d+$/.test(m[0]) && INT_SUFFIX.test(this.text)) this.pos++;
    return Number(m[0]);
  }

  private word(): PyValue {
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.text);
    if (m) {
      if (m[0] === 'True') { this.pos += 4; return true; }
      if (m[0] === 'False') { this.pos += 5; return false; }
      if (m[0] === 'None') { this.pos += 4; return null; }
    }
    return this.fail(`unexpected ${m ? `name '${m[0]}'` : `character '${this.text[this.pos]}'`}`);
  }
}
