import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api";
import { readLines } from "../src/lib/ndjson";
import { collect, sameFilters } from "../src/pages/dashboard/batch";

const FILTERS = { date_from: "2025-01-01", date_to: "2025-01-31", properties: [], compare: false };

/** A streamed body that arrives in the given pieces (cut anywhere, even inside a line). */
function body(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

const stream = (...pieces: string[]) => Promise.resolve(new Response(body(...pieces), { status: 200 }));

describe("newline-delimited JSON", () => {
  it("hands on each value once its line is complete, wherever the pieces are cut", async () => {
    const values: unknown[] = [];
    await readLines(body('{"a":', '1}\n{"b":"é"}', "\n\n", '{"c":[1,2]}'), (value) => values.push(value));
    expect(values).toEqual([{ a: 1 }, { b: "é" }, { c: [1, 2] }]);
  });
});

describe("every widget's data in one stream", () => {
  const lines = [
    JSON.stringify({ filters: FILTERS }),
    JSON.stringify({ widget_id: "views", data: { results: [1, 2], cached: true } }),
    JSON.stringify({ widget_id: "money", error: { status: 403, code: "forbidden", message: "no revenue", details: null } }),
  ];

  it("gives each widget its data, or its error, for the filters it ran under", async () => {
    const data = collect(stream(lines.join("\n") + "\n"));
    expect(await data.reply("views", { ...FILTERS })).toEqual({ results: [1, 2], cached: true });
    const refused = await data.reply("money", FILTERS).catch((error) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect([refused.status, refused.code, refused.message]).toEqual([403, "forbidden", "no revenue"]);
  });

  it("leaves a widget to its own request when the stream does not have it", async () => {
    const data = collect(stream(lines[0] + "\n" + lines[1] + "\n"));
    expect(await data.reply("text", FILTERS)).toBeNull();
    expect(await data.reply("later", FILTERS)).toBeNull();
  });

  it("leaves every widget to its own request under other filters", async () => {
    const data = collect(stream(lines.join("\n") + "\n"));
    expect(await data.reply("views", { ...FILTERS, date_from: "-30d" })).toBeNull();
  });

  it("leaves every widget to its own request when the stream fails", async () => {
    const refused = collect(Promise.resolve(new Response('{"error":{}}', { status: 401 })));
    expect(await refused.reply("views", FILTERS)).toBeNull();
    const offline = collect(Promise.reject(new TypeError("network")));
    expect(await offline.reply("views", FILTERS)).toBeNull();
    const cut = collect(stream(lines[0] + "\n", '{"widget_id":"views","da'));
    expect(await cut.reply("views", FILTERS)).toBeNull();
  });

  it("compares filters as the page sends them", () => {
    expect(sameFilters(FILTERS, { date_from: "2025-01-01", date_to: "2025-01-31" })).toBe(true);
    expect(sameFilters(FILTERS, { ...FILTERS, compare: true })).toBe(false);
  });
});
