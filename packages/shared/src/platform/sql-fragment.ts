// Pieces of SQL text for the Sql layer's tagged templates (db.ts), for what a parameter cannot be:
// identifiers and predicates generated from a constant list of columns. A fragment is built only
// here, by the sqlFragment tag (its ${} are bound parameters or other fragments, as in a statement) and
// by sqlIdentifier, which takes nothing but a plain identifier. No value is ever spliced into the
// text: tests/faults' static SQL check allows `new SqlFragment(` in this file only.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class SqlFragment {
  /** Private to this module in spirit: construct with sqlFragment or sqlIdentifier. */
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}
}

/** A fragment as a tagged template: each ${} a bound parameter, or a fragment spliced in. */
export function sqlFragment(strings: TemplateStringsArray, ...values: unknown[]): SqlFragment {
  return new SqlFragment([...strings], values);
}

/** A column or table name, quoted as Postgres quotes it; anything but a plain identifier throws. */
export function sqlIdentifier(name: string): SqlFragment {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return new SqlFragment([`"${name}"`], []);
}

/** Fragments joined by AND, by commas or by UNION ALL. */
export function sqlJoin(parts: readonly SqlFragment[], separator: ' AND ' | ', ' | ' UNION ALL '): SqlFragment {
  if (!parts.length) throw new Error('sqlJoin of nothing');
  return new SqlFragment(['', ...parts.slice(1).map(() => separator), ''], parts);
}

/** A statement's text and parameters ($1, $2, ... in order), fragments flattened into the text. */
export function toQuery(strings: readonly string[], values: readonly unknown[]): { text: string; values: unknown[] } {
  const params: unknown[] = [];
  const render = (parts: readonly string[], vals: readonly unknown[]): string =>
    parts.reduce((text, s, i) => {
      if (i === 0) return s;
      const v = vals[i - 1];
      return text + (v instanceof SqlFragment ? render(v.strings, v.values) : `$${params.push(v)}`) + s;
    }, '');
  const text = render(strings, values);
  return { text, values: params };
}
