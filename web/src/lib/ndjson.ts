// Newline-delimited JSON read as it streams in: each complete line is handed on as soon as it
// has arrived, without waiting for the end of the answer.

/** Calls `onValue` with each JSON value of a streamed body, in order; resolves at its end. */
export async function readLines(body: ReadableStream<Uint8Array>, onValue: (value: unknown) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    rest += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = rest.split("\n");
    rest = done ? "" : lines.pop()!;
    for (const line of lines) if (line.trim()) onValue(JSON.parse(line));
    if (done) return;
  }
}
