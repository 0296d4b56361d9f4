// Date-range presets of the filter bar, as the query specs' date bounds.

export type Preset = "today" | "7d" | "30d" | "90d" | "180d" | "365d" | "month" | "custom";

export const PRESETS: { id: Preset; label: string }[] = [
  { id: "today", label: "Today" },
  { id: "7d", label: "Last 7 days" },
  { id: "30d", label: "Last 30 days" },
  { id: "90d", label: "Last 90 days" },
  { id: "180d", label: "Last 180 days" },
  { id: "365d", label: "Last 365 days" },
  { id: "month", label: "This month" },
  { id: "custom", label: "Custom" },
];

function isoDate(day: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

export function monthStart(today: Date = new Date()): string {
  return isoDate(new Date(today.getFullYear(), today.getMonth(), 1));
}

/** The `{date_from, date_to}` of a preset (custom keeps the given bounds). */
export function presetRange(preset: Preset, today: Date = new Date()): { date_from: string; date_to: string } {
  switch (preset) {
    case "today":
      return { date_from: "today", date_to: "today" };
    case "7d":
      return { date_from: "-7d", date_to: "today" };
    case "30d":
      return { date_from: "-30d", date_to: "today" };
    case "90d":
    case "180d":
    case "365d":
      return { date_from: `-${preset}`, date_to: "today" };
    case "month":
      return { date_from: monthStart(today), date_to: "today" };
    case "custom":
      return { date_from: isoDate(new Date(today.getTime() - 29 * 86400000)), date_to: isoDate(today) };
  }
}

/** Which preset a stored range is, "custom" when none. */
export function presetOf(from: string | null | undefined, to: string | null | undefined): Preset {
  for (const preset of PRESETS) {
    if (preset.id === "custom") continue;
    const range = presetRange(preset.id);
    if (range.date_from === (from ?? "-30d") && range.date_to === (to ?? "today")) return preset.id;
  }
  return "custom";
}

/** Human text for a range, as printed on exports. */
export function rangeText(from: string | null | undefined, to: string | null | undefined): string {
  const preset = presetOf(from, to);
  if (preset !== "custom") return PRESETS.find((p) => p.id === preset)!.label;
  return `${from ?? "…"} – ${to ?? "…"}`;
}
