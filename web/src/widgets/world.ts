// The world map, from npm's world-atlas geometry, with features named by ISO alpha-2 code
// (the `$geoip_country_code` values). Loaded on demand: it is the largest asset.
import codes from "i18n-iso-countries/codes.json";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import world from "world-atlas/countries-110m.json";
import { countryNames, echarts, WORLD } from "./echarts";

let registered = false;

export function registerWorld(): void {
  if (registered) return;
  const alpha2 = new Map((codes as string[][]).map(([a2, , numeric]) => [numeric, a2]));
  const topology = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const geo = feature(topology, topology.objects.countries);
  for (const f of geo.features) {
    const code = alpha2.get(String(f.id)) ?? String(f.properties?.name ?? f.id);
    countryNames.set(code, String(f.properties?.name ?? code));
    f.properties = { name: code };
  }
  echarts.registerMap(WORLD, geo as never);
  registered = true;
}
