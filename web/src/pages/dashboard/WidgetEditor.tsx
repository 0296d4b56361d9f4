// Editing one widget: title, options (from the type's JSON schema), data, refresh, click.
import { useState } from "preact/hooks";
import { Dialog, ErrorNote } from "../../components/Dialog";
import type { ClickAction, Insight, JsonSchema, Widget, WidgetType } from "../../types";

interface Props {
  widget: Widget;
  types: WidgetType[];
  insights: Insight[];
  onSave: (widget: Widget) => void;
  onClose: () => void;
}

const REFRESH = [
  { value: 0, label: "Off" },
  { value: 30, label: "30 seconds" },
  { value: 60, label: "1 minute" },
  { value: 300, label: "5 minutes" },
  { value: 900, label: "15 minutes" },
  { value: 3600, label: "1 hour" },
];

const CLICK_LABELS: Record<ClickAction, string> = {
  filter: "Filter the dashboard by the clicked value",
  drill: "Open the insight",
  link: "Open a link",
};

function OptionField({ name, schema, value, onChange }: {
  name: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  const id = `opt-${name}`;
  const label = schema.title ?? name.replace(/_/g, " ");
  if (schema.type === "boolean") {
    return (
      <div class="field checkbox">
        <input id={id} type="checkbox" checked={Boolean(value ?? schema.default)} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
        <label for={id}>{label}</label>
      </div>
    );
  }
  if (schema.enum) {
    return (
      <div class="field">
        <label for={id}>{label}</label>
        <select id={id} value={String(value ?? schema.default ?? "")} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
          {schema.enum.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </select>
      </div>
    );
  }
  const numeric = schema.type === "number" || schema.type === "integer";
  const long = name === "text" || name === "markdown";
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {long ? (
        <textarea id={id} rows={8} value={String(value ?? "")} onInput={(e) => onChange((e.target as HTMLTextAreaElement).value)} />
      ) : (
        numeric ? (
          <input
            id={id}
            type="number"
            value={value === undefined || value === null ? "" : String(value)}
            onInput={(e) => {
              const text = (e.target as HTMLInputElement).value;
              onChange(text === "" ? undefined : Number(text));
            }}
          />
        ) : (
          <input id={id} type="text" value={value === undefined || value === null ? "" : String(value)} onInput={(e) => onChange((e.target as HTMLInputElement).value)} />
        )
      )}
    </div>
  );
}

export function WidgetEditor({ widget, types, insights, onSave, onClose }: Props) {
  const [draft, setDraft] = useState<Widget>(widget);
  const [queryText, setQueryText] = useState(widget.query ? JSON.stringify(widget.query, null, 2) : "");
  const [error, setError] = useState<string | null>(null);
  const type = types.find((t) => t.type === draft.type);
  const schema = type?.options?.properties ?? {};
  const clicks = type?.clicks ?? ["filter", "drill", "link"];
  const setOption = (name: string, value: unknown) => setDraft({ ...draft, options: { ...draft.options, [name]: value } });

  const save = (event: Event) => {
    event.preventDefault();
    let query = null;
    if (draft.type !== "markdown") {
      try {
        query = JSON.parse(queryText);
      } catch (e) {
        setError(`The query is not valid JSON: ${(e as Error).message}`);
        return;
      }
    }
    onSave({ ...draft, query });
  };

  return (
    <Dialog title={`Edit widget: ${widget.title || widget.type}`} onClose={onClose} wide>
      <form onSubmit={save} class="stack">
        <div class="field">
          <label for="widget-title">Title</label>
          <input id="widget-title" required value={draft.title} onInput={(e) => setDraft({ ...draft, title: (e.target as HTMLInputElement).value })} />
        </div>
        <div class="field">
          <label for="widget-type">Type</label>
          <select id="widget-type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: (e.target as HTMLSelectElement).value })}>
            {types.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
        {Object.entries(schema)
          .filter(([name]) => name !== "live")
          .map(([name, s]) => (
            <OptionField key={name} name={name} schema={s} value={draft.options?.[name]} onChange={(v) => setOption(name, v)} />
          ))}
        {draft.type === "markdown" && !("text" in schema) && (
          <OptionField name="text" schema={{ type: "string", title: "Text (markdown)" }} value={draft.options?.text} onChange={(v) => setOption("text", v)} />
        )}
        {draft.type !== "markdown" && (
          <>
            <div class="field">
              <label for="widget-insight">Use a saved insight's query</label>
              <select
                id="widget-insight"
                value=""
                onChange={(e) => {
                  const insight = insights.find((i) => String(i.id) === (e.target as HTMLSelectElement).value);
                  if (insight) {
                    setQueryText(JSON.stringify(insight.query, null, 2));
                    setDraft({ ...draft, options: { ...draft.options, insight_id: insight.id } });
                  }
                }}
              >
                <option value="">Choose an insight…</option>
                {insights.map((i) => (
                  <option key={i.id} value={String(i.id)}>
                    {i.name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="widget-query">Query (JSON spec)</label>
              <textarea id="widget-query" class="code" rows={8} value={queryText} onInput={(e) => setQueryText((e.target as HTMLTextAreaElement).value)} />
            </div>
            <div class="row">
              <div class="field">
                <label for="widget-refresh">Refresh every</label>
                <select
                  id="widget-refresh"
                  value={String(draft.refresh_seconds ?? 0)}
                  onChange={(e) => setDraft({ ...draft, refresh_seconds: Number((e.target as HTMLSelectElement).value) || null })}
                >
                  {REFRESH.map((r) => (
                    <option key={r.value} value={String(r.value)}>
                      {r.label}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field checkbox">
                <input id="widget-live" type="checkbox" checked={draft.options?.live === true} onChange={(e) => setOption("live", (e.target as HTMLInputElement).checked)} />
                <label for="widget-live">Live: update as events arrive</label>
              </div>
            </div>
            <div class="field">
              <label for="widget-click">On click</label>
              <select
                id="widget-click"
                value={draft.click?.action ?? ""}
                onChange={(e) => {
                  const action = (e.target as HTMLSelectElement).value as ClickAction | "";
                  setDraft({ ...draft, click: action ? { action, url: draft.click?.url } : null });
                }}
              >
                <option value="">Nothing</option>
                {clicks.map((c) => (
                  <option key={c} value={c}>
                    {CLICK_LABELS[c]}
                  </option>
                ))}
              </select>
            </div>
            {draft.click?.action === "link" && (
              <div class="field">
                <label for="widget-url">Link ({"{value}"} is replaced by the clicked value)</label>
                <input
                  id="widget-url"
                  type="url"
                  required
                  value={draft.click.url ?? ""}
                  onInput={(e) => setDraft({ ...draft, click: { action: "link", url: (e.target as HTMLInputElement).value } })}
                />
              </div>
            )}
          </>
        )}
        <ErrorNote error={error} />
        <div class="row end">
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit">Apply</button>
        </div>
      </form>
    </Dialog>
  );
}
