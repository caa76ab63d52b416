// Definitions that name their own schema where that ties them to it. SHOW CREATE TABLE writes the schema
// into a column's `DEFAULT nextval(`shop`.`seq`)`; SHOW CREATE VIEW writes it into sequence calls, and
// into every name of a view that also reads another schema (`shop`.`t`.`c`); SHOW CREATE TRIGGER gives
// the trigger's statement as it was typed (`CREATE TRIGGER q ... ON shop.t`). Loaded into another
// schema, such a definition fails (a trigger: error 1435) or, on the same server, quietly uses the
// original schema's objects. The dump (for an archive that loads into any schema) and the restore (for
// views read back from its staging schema) take the qualifier out. Bodies of triggers, routines and
// events are the user's code and are left as written.
import { classifyStatement, removeRanges } from './restore-parse.js';
import { quoteIdentifier } from './values.js';

/** Index just past the quoted token that starts at `start` (`ident`, 'string' or "string"). */
function endOfQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\' && quote !== '`') i++;
    else if (text[i] === quote) {
      if (text[i + 1] !== quote) return i + 1;
      i++;
    }
  }
  return text.length;
}

/** The [start, end) of each part of the dotted chain of backquoted names that starts at `start`. */
function nameChain(text: string, start: number): [number, number][] {
  const parts: [number, number][] = [];
  for (let at = start; ; at = parts[parts.length - 1][1] + 1) {
    parts.push([at, endOfQuoted(text, at)]);
    const end = parts[parts.length - 1][1];
    if (text[end] !== '.' || text[end + 1] !== '`') return parts;
  }
}

/**
 * `definition` (SHOW CREATE TABLE or VIEW text: every name backquoted) without `schema` as the first part
 * of a dotted name outside string literals. Where an object of the schema bears the schema's own name,
 * `x`.`y` may be table.column rather than schema.object (`sameNamedObject`): only longer names lose it.
 */
export function withoutSchemaQualifier(definition: string, schema: string, sameNamedObject = false): string {
  const qualifier = quoteIdentifier(schema);
  let out = '';
  let copied = 0;
  for (let i = 0; i < definition.length; ) {
    const ch = definition[i];
    if (ch === "'" || ch === '"') {
      i = endOfQuoted(definition, i);
      continue;
    }
    if (ch !== '`') {
      i++;
      continue;
    }
    const chain = nameChain(definition, i);
    const [first, second] = chain;
    if (chain.length >= (sameNamedObject ? 3 : 2) && definition.slice(first[0], first[1]) === qualifier) {
      out += definition.slice(copied, first[0]);
      copied = second[0];
    }
    i = chain[chain.length - 1][1];
  }
  return out + definition.slice(copied);
}

/** A trigger's statement without `schema` on its own name and on its table (the body stays as written). */
export function triggerWithoutSchemaQualifier(statement: string, schema: string): string {
  const text = Buffer.from(statement, 'utf8');
  const info = classifyStatement(text);
  const qualifiers = [info.objects[0], info.table].flatMap((ref) => (ref?.schema === schema && ref.qualifier ? [ref.qualifier] : []));
  return qualifiers.length === 0 ? statement : removeRanges(text, qualifiers).toString('utf8');
}
