import { describe, expect, it } from "vitest";
import { monthStart, PRESETS, presetOf, presetRange, rangeText } from "../src/lib/dates";

const today = new Date(2025, 2, 14, 15, 30); // 14 March 2025, local time

describe("date-range presets", () => {
  it("gives relative bounds for the rolling presets", () => {
    expect(presetRange("today", today)).toEqual({ date_from: "today", date_to: "today" });
    expect(presetRange("7d", today)).toEqual({ date_from: "-7d", date_to: "today" });
    expect(presetRange("30d", today)).toEqual({ date_from: "-30d", date_to: "today" });
    expect(presetRange("90d", today)).toEqual({ date_from: "-90d", date_to: "today" });
    expect(presetRange("180d", today)).toEqual({ date_from: "-180d", date_to: "today" });
  });

  it("starts this month on its first day", () => {
    expect(monthStart(today)).toBe("2025-03-01");
    expect(presetRange("month", today)).toEqual({ date_from: "2025-03-01", date_to: "today" });
  });

  it("makes custom the last 30 days as ISO dates", () => {
    expect(presetRange("custom", today)).toEqual({ date_from: "2025-02-13", date_to: "2025-03-14" });
  });

  it("recognises every preset from its own bounds, and anything else as custom", () => {
    for (const preset of PRESETS.filter((p) => p.id !== "custom")) {
      const range = presetRange(preset.id);
      expect(presetOf(range.date_from, range.date_to)).toBe(preset.id);
    }
    expect(presetOf(null, undefined)).toBe("30d");
    expect(presetOf("2025-01-01", "2025-01-31")).toBe("custom");
    expect(presetOf("-7d", "-1d")).toBe("custom");
  });

  it("prints presets by name and custom ranges by their dates", () => {
    expect(rangeText("-7d", "today")).toBe("Last 7 days");
    expect(rangeText("2025-01-01", "2025-01-31")).toBe("2025-01-01 – 2025-01-31");
    expect(rangeText("2025-01-01", null)).toBe("2025-01-01 – today".replace("today", "…"));
  });
});
