// The table widget and the retention matrix, as real HTML tables (selectable text in PDFs).
import { useState } from "preact/hooks";
import { formatNumber, percent, toRetention, toTable } from "./shape";

const cell = (value: unknown) =>
  typeof value === "number" ? formatNumber(value) : value === null || value === undefined ? "–" : String(value);

export function DataTable({
  results,
  caption,
  limit,
  onClick,
}: {
  results: unknown;
  caption: string;
  limit?: number;
  onClick?: (value: string) => void;
}) {
  const table = toTable(results);
  const [shown, setShown] = useState(limit ?? table.rows.length);
  const rows = limit ? table.rows.slice(0, shown) : table.rows;
  return (
    <div class="table-scroll">
      <table class="data-table">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {table.columns.map((column) => (
              <th scope="col" key={column} class={table.rows.some((row) => typeof row[table.columns.indexOf(column)] === "number") ? "num" : undefined}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((value, j) =>
                j === 0 && onClick ? (
                  <th scope="row" key={j}>
                    <button type="button" class="link-button" onClick={() => onClick(String(value))}>
                      {cell(value)}
                    </button>
                  </th>
                ) : (
                  <td key={j} class={typeof value === "number" ? "num" : undefined}>
                    {cell(value)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {table.rows.length === 0 && <p class="empty">No data for this range.</p>}
      {limit !== undefined && table.rows.length > shown && (
        <button type="button" class="secondary small" onClick={() => setShown(shown + limit)}>
          Show more ({table.rows.length - shown} left)
        </button>
      )}
    </div>
  );
}

export function RetentionMatrix({ results, caption }: { results: unknown; caption: string }) {
  const cohorts = toRetention(results);
  const periods = Math.max(1, ...cohorts.map((c) => c.values.length));
  return (
    <div class="table-scroll">
      <table class="data-table retention">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Cohort</th>
            <th scope="col" class="num">Persons</th>
            {Array.from({ length: periods - 1 }, (_, i) => (
              <th scope="col" class="num" key={i}>
                {i + 1}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {cohorts.map((cohort) => (
            <tr key={cohort.start}>
              <th scope="row">{cohort.start}</th>
              <td class="num">{formatNumber(cohort.size)}</td>
              {Array.from({ length: periods - 1 }, (_, i) => {
                const value = cohort.values[i + 1];
                if (value === undefined) return <td key={i} />;
                const share = cohort.size ? value / cohort.size : 0;
                return (
                  <td
                    key={i}
                    class="num heat"
                    style={{ "--share": String(Math.min(1, share * 1.5)) }}
                    title={`${value} of ${cohort.size}`}
                  >
                    {percent(share)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {cohorts.length === 0 && <p class="empty">No cohorts in this range.</p>}
    </div>
  );
}
