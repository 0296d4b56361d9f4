// The SQL editor's CodeMirror 6 set-up: SQL highlighting, completion of keywords and of the
// project's views and their columns, history, bracket matching; Ctrl/Cmd+Enter runs the
// query. Tab is left to the browser, so the keyboard can always leave the editor.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { PostgreSQL, sql, type SQLNamespace } from "@codemirror/lang-sql";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers, placeholder } from "@codemirror/view";

export interface SqlEditor {
  view: EditorView;
  /** Completes these views and columns from now on. */
  setSchema(schema: SQLNamespace): void;
}

interface Options {
  parent: HTMLElement;
  doc: string;
  labelledBy: string;
  onChange: (text: string) => void;
  onRun: () => void;
}

export function createSqlEditor({ parent, doc, labelledBy, onChange, onRun }: Options): SqlEditor {
  const language = new Compartment();
  // DuckDB's SQL is closest to PostgreSQL's among lang-sql's dialects.
  const withSchema = (schema: SQLNamespace) => sql({ dialect: PostgreSQL, schema, upperCaseKeywords: false });
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        autocompletion(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder("select … from events"),
        language.of(withSchema({})),
        keymap.of([
          { key: "Mod-Enter", run: () => (onRun(), true), preventDefault: true },
          ...closeBracketsKeymap,
          ...completionKeymap,
          ...historyKeymap,
          ...defaultKeymap,
        ]),
        EditorView.contentAttributes.of({ "aria-labelledby": labelledBy, "aria-multiline": "true", "data-testid": "sql-editor" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    setSchema: (schema) => view.dispatch({ effects: language.reconfigure(withSchema(schema)) }),
  };
}
