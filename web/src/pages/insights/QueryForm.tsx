// The query builder of the explorer: one form per insight kind, with pickers fed by the
// project's schema (event names, property keys).
import type { ComponentChildren } from "preact";
import { PropertyFilters } from "../../components/PropertyFilters";
import { PRESETS, presetOf, presetRange, type Preset } from "../../lib/dates";
import type { PropertyFilter, QuerySpec, SchemaInfo } from "../../types";
import { MATHS, type InsightKind } from "./kinds";

interface Props {
  projectId: string;
  kind: InsightKind;
  spec: QuerySpec;
  schema: SchemaInfo | null;
  onChange: (spec: QuerySpec) => void;
}

type Step = { event?: string; math?: string };

function Field({ id, label, children }: { id: string; label: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

function EventSelect({ id, value, schema, onChange, optional }: {
  id: string;
  value: string | undefined;
  schema: SchemaInfo | null;
  onChange: (event: string | undefined) => void;
  optional?: string;
}) {
  const names = schema?.events.map((e) => e.name) ?? [];
  if (value && !names.includes(value)) names.unshift(value);
  return (
    <select id={id} value={value ?? ""} onChange={(e) => onChange((e.target as HTMLSelectElement).value || undefined)}>
      {optional !== undefined && <option value="">{optional}</option>}
      {names.map((name) => (
        <option key={name} value={name}>{name}</option>
      ))}
    </select>
  );
}

function Select({ id, value, options, onChange }: { id: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      {options.map(([v, label]) => (
        <option key={v} value={v}>{label}</option>
      ))}
    </select>
  );
}

function StepList({ label, steps, schema, withMath, onChange }: {
  label: string;
  steps: Step[];
  schema: SchemaInfo | null;
  withMath: boolean;
  onChange: (steps: Step[]) => void;
}) {
  return (
    <fieldset class="steps">
      <legend>{label}</legend>
      {steps.map((step, i) => (
        <div class="row" key={i}>
          <span class="step-letter" aria-hidden="true">{withMath ? String.fromCharCode(65 + i) : i + 1}</span>
          <label class="visually-hidden" for={`step-${i}`}>{`${label} ${i + 1} event`}</label>
          <EventSelect id={`step-${i}`} value={step.event} schema={schema} onChange={(event) => onChange(steps.map((s, j) => (j === i ? { ...s, event } : s)))} />
          {withMath && (
            <>
              <label class="visually-hidden" for={`math-${i}`}>{`${label} ${i + 1} measure`}</label>
              <Select id={`math-${i}`} value={step.math ?? "total"} options={MATHS.map((m) => [m.id, m.label])} onChange={(math) => onChange(steps.map((s, j) => (j === i ? { ...s, math } : s)))} />
            </>
          )}
          {steps.length > 1 && (
            <button type="button" class="icon" aria-label={`Remove ${label.toLowerCase()} ${i + 1}`} onClick={() => onChange(steps.filter((_, j) => j !== i))}>✕</button>
          )}
        </div>
      ))}
      <button type="button" class="secondary small" onClick={() => onChange([...steps, { event: schema?.events[0]?.name ?? "pageview", ...(withMath ? { math: "total" } : {}) }])}>
        + Add
      </button>
    </fieldset>
  );
}

export function QueryForm({ projectId, kind, spec, schema, onChange }: Props) {
  const set = (patch: Record<string, unknown>) => onChange({ ...spec, ...patch });
  const preset = presetOf(spec.date_from as string, spec.date_to as string);
  const breakdown = spec.breakdown as { property?: string; type?: string } | undefined;
  return (
    <div class="query-form stack">
      {kind === "trends" && (
        <>
          <StepList label="Series" steps={spec.series as Step[]} schema={schema} withMath onChange={(series) => set({ series })} />
          <Field id="interval" label="Interval">
            <Select id="interval" value={String(spec.interval ?? "day")} options={[["hour", "Hour"], ["day", "Day"], ["week", "Week"], ["month", "Month"]]} onChange={(interval) => set({ interval })} />
          </Field>
          <Field id="breakdown" label="Breakdown by property">
            <input
              id="breakdown"
              list="breakdown-keys"
              value={breakdown?.property ?? ""}
              placeholder="none"
              onChange={(e) => {
                const property = (e.target as HTMLInputElement).value.trim();
                const source = schema?.properties.find((p) => p.key === property)?.source ?? "event";
                set({ breakdown: property ? { property, type: source } : undefined });
              }}
            />
            <datalist id="breakdown-keys">
              {schema?.properties.map((p) => <option key={`${p.source}:${p.key}`} value={p.key} />)}
            </datalist>
          </Field>
        </>
      )}
      {kind === "funnels" && (
        <>
          <StepList label="Steps" steps={spec.steps as Step[]} schema={schema} withMath={false} onChange={(steps) => set({ steps })} />
          <Field id="window" label="Conversion window (days)">
            <input id="window" type="number" min={1} max={365} value={String((spec.conversion_window as { value: number })?.value ?? 7)} onChange={(e) => set({ conversion_window: { value: Number((e.target as HTMLInputElement).value) || 7, unit: "day" } })} />
          </Field>
        </>
      )}
      {kind === "retention" && (
        <>
          <Field id="target" label="Cohort event">
            <EventSelect id="target" value={spec.target_event as string} schema={schema} onChange={(target_event) => set({ target_event })} />
          </Field>
          <Field id="returning" label="Returning event">
            <EventSelect id="returning" value={spec.returning_event as string} schema={schema} onChange={(returning_event) => set({ returning_event })} />
          </Field>
          <Field id="period" label="Period">
            <Select id="period" value={String(spec.period ?? "week")} options={[["day", "Day"], ["week", "Week"], ["month", "Month"]]} onChange={(period) => set({ period })} />
          </Field>
        </>
      )}
      {kind === "stickiness" && (
        <>
          <StepList label="Series" steps={spec.series as Step[]} schema={schema} withMath={false} onChange={(series) => set({ series })} />
          <Field id="interval" label="Interval">
            <Select id="interval" value={String(spec.interval ?? "day")} options={[["day", "Day"], ["week", "Week"]]} onChange={(interval) => set({ interval })} />
          </Field>
        </>
      )}
      {kind === "lifecycle" && (
        <>
          <Field id="event" label="Event">
            <EventSelect id="event" value={spec.event as string} schema={schema} optional="Any event" onChange={(event) => set({ event })} />
          </Field>
          <Field id="interval" label="Interval">
            <Select id="interval" value={String(spec.interval ?? "day")} options={[["day", "Day"], ["week", "Week"], ["month", "Month"]]} onChange={(interval) => set({ interval })} />
          </Field>
        </>
      )}
      {kind === "paths" && (
        <>
          <Field id="start" label="Start at event">
            <EventSelect id="start" value={spec.start_event as string} schema={schema} optional="Anywhere" onChange={(start_event) => set({ start_event })} />
          </Field>
          <Field id="steps" label="Steps">
            <input id="steps" type="number" min={2} max={10} value={String(spec.step_limit ?? 5)} onChange={(e) => set({ step_limit: Number((e.target as HTMLInputElement).value) || 5 })} />
          </Field>
        </>
      )}
      <Field id="range" label="Date range">
        <select
          id="range"
          value={preset}
          onChange={(e) => {
            const next = (e.target as HTMLSelectElement).value as Preset;
            if (next !== "custom") set(presetRange(next));
          }}
        >
          {PRESETS.filter((p) => p.id !== "custom" || preset === "custom").map((p) => (
            <option key={p.id} value={p.id}>{p.id === "custom" ? `${spec.date_from} – ${spec.date_to}` : p.label}</option>
          ))}
        </select>
      </Field>
      <fieldset>
        <legend>Filters</legend>
        <PropertyFilters projectId={projectId} schema={schema} filters={(spec.filters as PropertyFilter[]) ?? []} onChange={(filters) => set({ filters })} idPrefix="insight-filter" />
      </fieldset>
    </div>
  );
}
