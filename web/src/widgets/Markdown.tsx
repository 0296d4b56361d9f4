// Markdown text, rendered with marked and sanitised with DOMPurify (no script, no handlers).
import DOMPurify from "dompurify";
import { marked } from "marked";
import { useEffect, useMemo } from "preact/hooks";

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: true }) as string;
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}

export function Markdown({ text, onRendered }: { text: string; onRendered?: () => void }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  useEffect(() => onRendered?.(), [html]);
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
