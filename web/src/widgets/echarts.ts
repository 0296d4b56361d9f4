// ECharts, tree-shaken to the charts Heron draws, with the SVG renderer (crisp, and text
// stays text in PDF exports). The world map is registered from npm's world-atlas geometry,
// with features named by ISO alpha-2 code (the `$geoip_country_code` values).
import { BarChart, FunnelChart, HeatmapChart, LineChart, MapChart, PieChart, SankeyChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  FunnelChart,
  HeatmapChart,
  SankeyChart,
  MapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  VisualMapComponent,
  SVGRenderer,
]);

export const WORLD = "heron-world";
/** Country names by ISO alpha-2 code, filled when the world map is loaded (world.ts). */
export const countryNames = new Map<string, string>();

export { echarts };
