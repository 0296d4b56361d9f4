// Editable list of property filters, with keys and values suggested from the project schema.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { PropertyFilter, SchemaInfo } from "../types";

export const OPERATORS: { id: string; label: string }[] = [
  { id: "eq", label: "equals" },
  { id: "neq", label: "is not" },
  { id: "contains", label: "contains" },
  { id: "gt", label: ">" },
  { id: "gte", label: "≥" },
  { id: "lt", label: "<" },
  { id: "lte", label: "≤" },
  { id: "is_set", label: "is set" },
  { id: "is_not_set", label: "is not set" },
  { id: "regex", label: "matches regex" },
];

interface Props {
  projectId?: string;
  schema?: SchemaInfo | null;
  filters: PropertyFilter[];
  onChange: (filters: PropertyFilter[]) => void;
  idPrefix: string;
}

function ValueInput({ projectId, filter, id, onChange }: {
  projectId?: string;
  filter: PropertyFilter;
  id: string;
  onChange: (value: string) => void;
}) {
  const [values, setValues] = useState<string[]>([]);
  useEffect(() => {
    if (!projectId || !filter.property) return;
    api
      .get<{ values: { value: unknown }[] }>(`/api/projects/${projectId}/schema/values`, {
        key: filter.property,
        source: filter.type ?? "event",
      })
      .then((reply) => setValues(reply.values.map((v) => String(v.value))), () => setValues([]));
  }, [projectId, filter.property, filter.type]);
  return (
    <>
      <input
        id={id}
        aria-label="Value"
        list={`${id}-values`}
        value={filter.value === undefined ? "" : String(filter.value)}
        onInput={(e) => onChange((e.target as HTMLInputElement).value)}
      />
      <datalist id={`${id}-values`}>
        {values.map((v) => (
          <option key={v} value={v} />
        ))}
      </datalist>
    </>
  );
}

export function PropertyFilters({ projectId, schema, filters, onChange, idPrefix }: Props) {
  const update = (index: number, patch: Partial<PropertyFilter>) =>
    onChange(filters.map((f, i) => (i === index ? { ...f, ...patch } : f)));
  return (
    <div class="property-filters">
      {filters.map((filter, index) => {
        const id = `${idPrefix}-${index}`;
        return (
          <fieldset class="property-filter" key={index}>
            <legend class="visually-hidden">Filter {index + 1}</legend>
            <input
              aria-label="Property"
              list={`${idPrefix}-keys`}
              value={filter.property}
              placeholder="property"
              onInput={(e) => {
                const key = (e.target as HTMLInputElement).value;
                const known = schema?.properties.find((p) => p.key === key);
                update(index, { property: key, type: known?.source ?? filter.type ?? "event" });
              }}
            />
            <select
              aria-label="Operator"
              value={filter.operator}
              onChange={(e) => update(index, { operator: (e.target as HTMLSelectElement).value })}
            >
              {OPERATORS.map((op) => (
                <option value={op.id} key={op.id}>
                  {op.label}
                </option>
              ))}
            </select>
            {!["is_set", "is_not_set"].includes(filter.operator) && (
              <ValueInput projectId={projectId} filter={filter} id={id} onChange={(value) => update(index, { value })} />
            )}
            <button
              type="button"
              class="icon"
              aria-label={`Remove filter ${filter.property || index + 1}`}
              onClick={() => onChange(filters.filter((_, i) => i !== index))}
            >
              ✕
            </button>
          </fieldset>
        );
      })}
      <datalist id={`${idPrefix}-keys`}>
        {schema?.properties.map((p) => (
          <option key={`${p.source}:${p.key}`} value={p.key}>
            {p.source}
          </option>
        ))}
      </datalist>
      <button
        type="button"
        class="secondary small"
        onClick={() => onChange([...filters, { property: "", operator: "eq", value: "", type: "event" }])}
      >
        + Filter
      </button>
    </div>
  );
}
