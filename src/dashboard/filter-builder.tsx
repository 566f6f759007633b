/**
 * Builds a filter in the language of physical:host reservations (`["and", ["==", "$gpu", "true"], ...]`) from rows
 * of property, operator and value. The property names come from the API when the token may list them; otherwise
 * any name can be typed.
 */
import { useId } from 'preact/hooks';

export interface Condition { property: string; op: string; value: string }

const OPS = ['==', '!=', '>=', '<=', '>', '<'];

/** The JSON text of the conditions, '' for none. */
export function filterText(conditions: Condition[]): string {
  const parts = conditions.filter((c) => c.property.trim() && c.value.trim())
    .map((c) => [c.op, `$${c.property.trim().replace(/^\$/, '')}`, c.value.trim()]);
  if (!parts.length) return '';
  return JSON.stringify(parts.length === 1 ? parts[0] : ['and', ...parts]);
}

export function FilterBuilder({ legend, properties, conditions, onChange, error }: {
  legend: string; properties: string[]; conditions: Condition[]; onChange: (c: Condition[]) => void; error?: string;
}) {
  const id = useId();
  const set = (i: number, patch: Partial<Condition>) => onChange(conditions.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  return (
    <fieldset class="filter" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{legend}</legend>
      <datalist id={`${id}-props`}>{properties.map((p) => <option key={p} value={p} />)}</datalist>
      {conditions.map((c, i) => (
        <div class="condition" key={i}>
          <label>Property <input list={`${id}-props`} value={c.property} onInput={(e) => set(i, { property: e.currentTarget.value })} /></label>
          <label>Operator
            <select value={c.op} onChange={(e) => set(i, { op: e.currentTarget.value })}>{OPS.map((o) => <option key={o}>{o}</option>)}</select>
          </label>
          <label>Value <input value={c.value} onInput={(e) => set(i, { value: e.currentTarget.value })} /></label>
          <button type="button" class="secondary" aria-label={`Remove condition ${i + 1}`} onClick={() => onChange(conditions.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...conditions, { property: '', op: '==', value: '' }])}>Add a condition</button>
      {filterText(conditions) && <p class="mono small">{filterText(conditions)}</p>}
      {error && <p id={`${id}-error`} role="alert" class="error">{error}</p>}
    </fieldset>
  );
}
