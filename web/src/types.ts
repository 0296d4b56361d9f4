// Shapes of the web API (docs/web.md, the API contract).

export type Role = "owner" | "admin" | "analyst" | "coach" | "finance" | "viewer";

export interface User {
  id: number | string;
  email: string;
  name?: string;
}

export interface Organization {
  id: number | string;
  name: string;
  role: Role;
}

export interface Project {
  id: number | string;
  name: string;
  organization_id: number | string;
  timezone: string;
  currency?: string;
  role: Role;
}

export interface Me {
  user: User;
  csrf_token: string;
  organizations: Organization[];
  projects: Project[];
}

export interface PropertyFilter {
  property: string;
  operator: string;
  value?: unknown;
  type?: "event" | "person";
}

export interface DashboardFilters {
  date_from?: string | null;
  date_to?: string | null;
  properties?: PropertyFilter[];
  compare?: boolean;
}

export interface Position {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type ClickAction = "filter" | "drill" | "link";

export interface Widget {
  id?: string;
  type: string;
  title: string;
  query: QuerySpec | null;
  options: Record<string, unknown>;
  position: Position;
  refresh_seconds?: number | null;
  click?: { action: ClickAction; url?: string } | null;
}

export interface Dashboard {
  id: number | string;
  name: string;
  description?: string;
  filters: DashboardFilters;
  widgets: Widget[];
  layouts?: { desktop?: LayoutItem[]; mobile?: LayoutItem[] };
  permission?: "view" | "edit";
  theme?: Theme;
  created_at?: string;
  updated_at?: string;
}

export interface LayoutItem extends Position {
  id: string;
}

export interface Theme {
  name?: string;
  logo_url?: string | null;
  colors?: Partial<Record<"primary" | "accent" | "background" | "surface" | "text", string>>;
  dark_mode?: boolean;
}

export type QuerySpec = { kind: string } & Record<string, unknown>;

export interface Envelope {
  results: unknown;
  timings?: Record<string, number>;
  cached?: boolean;
}

export interface WidgetType {
  type: string;
  label: string;
  description: string;
  default_size: { w: number; h: number };
  options: JsonSchema;
  clicks: ClickAction[];
  query_kinds: string[];
}

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  default?: unknown;
  title?: string;
  description?: string;
}

export interface Template {
  id: string;
  name: string;
  description: string;
  dashboard?: Partial<Dashboard>;
}

export interface Insight {
  id: number | string;
  name: string;
  description?: string;
  query: QuerySpec;
  options?: Record<string, unknown>;
}

export interface Share {
  id: number | string;
  permission: "view" | "edit";
  user_id?: number | string | null;
  email?: string | null;
  public?: boolean;
  url?: string | null;
}

export interface SchemaInfo {
  events: { name: string; count: number; last_seen?: string }[];
  properties: { key: string; source: "event" | "person"; type: string; count: number }[];
}

export interface ApiKey {
  id: number | string;
  name: string;
  role?: Role;
  prefix?: string;
  created_at?: string;
  last_used_at?: string | null;
}
