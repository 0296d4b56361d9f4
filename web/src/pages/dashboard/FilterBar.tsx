// The dashboard filter bar: date range presets or custom dates, property filters, compare;
// and the same filters as text for exports.
import { useEffect, useState } from "preact/hooks";
import { PropertyFilters } from "../../components/PropertyFilters";
import { PRESETS, presetOf, presetRange, rangeText, type Preset } from "../../lib/dates";
import type { DashboardFilters, PropertyFilter, SchemaInfo } from "../../types";

interface Props {
  projectId?: string;
  schema?: SchemaInfo | null;
  filters: DashboardFilters;
  onChange: (filters: DashboardFilters) => void;
  /** Called when a control of the bar gets focus (the page then loads what pickers need). */
  onFirstUse?: () => void;
}

const isIsoDate = (text: string | null | undefined) => Boolean(text && /^\d{4}-\d{2}-\d{2}$/.test(text));

export function FilterBar({ projectId, schema, filters, onChange, onFirstUse }: Props) {
  const [custom, setCustom] = useState(presetOf(filters.date_from, filters.date_to) === "custom");
  const preset: Preset = custom ? "custom" : presetOf(filters.date_from, filters.date_to);
  const [draft, setDraft] = useState<PropertyFilter[]>(filters.properties ?? []);
  useEffect(() => setDraft(filters.properties ?? []), [JSON.stringify(filters.properties ?? [])]);
  const dirty = JSON.stringify(draft) !== JSON.stringify(filters.properties ?? []);

  const choose = (next: Preset) => {
    setCustom(next === "custom");
    const range = presetRange(next);
    if (next === "custom") {
      onChange({
        ...filters,
        date_from: isIsoDate(filters.date_from) ? filters.date_from : range.date_from,
        date_to: isIsoDate(filters.date_to) ? filters.date_to : range.date_to,
      });
    } else onChange({ ...filters, ...range });
  };

  return (
    <form
      class="filter-bar"
      aria-label="Dashboard filters"
      onFocusIn={onFirstUse}
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...filters, properties: draft.filter((f) => f.property) });
      }}
    >
      <div class="field-inline">
        <label for="date-preset">Date range</label>
        <select id="date-preset" value={preset} onChange={(e) => choose((e.target as HTMLSelectElement).value as Preset)}>
          {PRESETS.map((p) => (
            <option value={p.id} key={p.id}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
      {preset === "custom" && (
        <>
          <div class="field-inline">
            <label for="date-from">From</label>
            <input
              id="date-from"
              type="date"
              value={isIsoDate(filters.date_from) ? filters.date_from! : ""}
              onChange={(e) => onChange({ ...filters, date_from: (e.target as HTMLInputElement).value })}
            />
          </div>
          <div class="field-inline">
            <label for="date-to">To</label>
            <input
              id="date-to"
              type="date"
              value={isIsoDate(filters.date_to) ? filters.date_to! : ""}
              onChange={(e) => onChange({ ...filters, date_to: (e.target as HTMLInputElement).value })}
            />
          </div>
        </>
      )}
      <div class="field-inline checkbox">
        <input
          id="compare"
          type="checkbox"
          checked={Boolean(filters.compare)}
          onChange={(e) => onChange({ ...filters, compare: (e.target as HTMLInputElement).checked })}
        />
        <label for="compare">Compare to previous period</label>
      </div>
      <PropertyFilters projectId={projectId} schema={schema} filters={draft} onChange={setDraft} idPrefix="dash-filter" />
      {dirty && (
        <button type="submit" class="small">
          Apply filters
        </button>
      )}
    </form>
  );
}

/** The filters as text, where they cannot be changed (exports, print view). */
export function FilterSummary({ filters }: { filters: DashboardFilters }) {
  return (
    <p class="filter-summary" data-testid="filter-summary">
      <span>Date range: {rangeText(filters.date_from, filters.date_to)}</span>
      {filters.compare && <span> · compared to the previous period</span>}
      {(filters.properties ?? []).map((f, i) => (
        <span key={i}>
          {" "}
          · {f.property} {f.operator} {f.value === undefined ? "" : String(f.value)}
        </span>
      ))}
    </p>
  );
}
