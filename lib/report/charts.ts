/**
 * The report's charts, rendered to SVG strings when the page is built, with
 * Apache ECharts' server-side SVG renderer: the page needs no script to show
 * them. Every chart states how many bars and points it holds, so a test can
 * count them in the SVG.
 *
 * @module
 */

import * as echarts from "echarts";
import type { WeekFigures } from "./stats.ts";

/** One rendered chart. */
export interface Chart {
  /** The chart's name, for the page and tests. */
  name: string;
  /** A one-line description, for screen readers and print. */
  title: string;
  /** The SVG markup. */
  svg: string;
  /** Bars drawn (non-null values of bar series). */
  bars: number;
  /** Points drawn (non-null values of line series). */
  points: number;
}

const WIDTH = 600;
const HEIGHT = 300;
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
const COLORS = ["#2563eb", "#f59e0b", "#16a34a", "#dc2626"];
const AXIS_LABEL = { fontSize: 14, color: "#374151" };

function label(week: string): string {
  const d = new Date(`${week}T00:00:00Z`);
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

function render(option: Record<string, unknown>): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      color: COLORS,
      textStyle: { fontFamily: FONT, fontSize: 15, color: "#1f2937" },
      grid: { left: 56, right: 60, top: 48, bottom: 40, containLabel: false },
      legend: { top: 4, itemGap: 28, textStyle: { fontSize: 15 } },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function count(values: readonly (number | null)[]): number {
  return values.filter((v) => v !== null).length;
}

/**
 * Messages and questions per week, as bars.
 *
 * @param weeks The weeks.
 * @returns The chart.
 */
export function activityChart(weeks: readonly WeekFigures[]): Chart {
  const messages = weeks.map((w) => w.messages);
  const questions = weeks.map((w) => w.questions);
  const svg = render({
    xAxis: { type: "category", data: weeks.map((w) => label(w.week)), axisLabel: AXIS_LABEL },
    yAxis: { type: "value", minInterval: 1, axisLabel: AXIS_LABEL },
    series: [
      { name: "Messages", type: "bar", data: messages, barGap: "10%" },
      { name: "Questions", type: "bar", data: questions },
    ],
  });
  return {
    name: "activity",
    title: "Messages and questions per week",
    svg,
    bars: count(messages) + count(questions),
    points: 0,
  };
}

/**
 * The share of questions answered in a thread (bars, %) and the median hours
 * to the first reply (line, right axis), per week.
 *
 * @param weeks The weeks.
 * @returns The chart.
 */
export function answersChart(weeks: readonly WeekFigures[]): Chart {
  const share = weeks.map((w) => (w.questions > 0 ? Math.round((1000 * w.answered) / w.questions) / 10 : null));
  const hours = weeks.map((w) => (w.medianReplyHours === null ? null : Math.round(w.medianReplyHours * 10) / 10));
  const svg = render({
    xAxis: { type: "category", data: weeks.map((w) => label(w.week)), axisLabel: AXIS_LABEL },
    yAxis: [
      { type: "value", min: 0, max: 100, axisLabel: { ...AXIS_LABEL, formatter: "{value}%" } },
      { type: "value", min: 0, axisLabel: { ...AXIS_LABEL, formatter: "{value} h" }, splitLine: { show: false } },
    ],
    series: [
      { name: "Answered in a thread", type: "bar", data: share, barMaxWidth: 36 },
      {
        name: "Median first reply",
        type: "line",
        yAxisIndex: 1,
        data: hours,
        showSymbol: true,
        showAllSymbol: true,
        symbolSize: 8,
        connectNulls: true,
        lineStyle: { width: 2 },
      },
    ],
  });
  return {
    name: "answers",
    title: "Share of questions answered in a thread, and median hours to the first reply, per week",
    svg,
    bars: count(share),
    points: count(hours),
  };
}

/**
 * Questions the FAQ covers against those it does not, per week, stacked.
 *
 * @param weeks The weeks.
 * @returns The chart.
 */
export function coverageChart(weeks: readonly WeekFigures[]): Chart {
  const covered = weeks.map((w) => (w.covered + w.uncovered > 0 ? w.covered : null));
  const uncovered = weeks.map((w) => (w.covered + w.uncovered > 0 ? w.uncovered : null));
  const svg = render({
    color: [COLORS[2], COLORS[3]],
    xAxis: { type: "category", data: weeks.map((w) => label(w.week)), axisLabel: AXIS_LABEL },
    yAxis: { type: "value", minInterval: 1, axisLabel: AXIS_LABEL },
    series: [
      { name: "Covered by the FAQ", type: "bar", stack: "faq", data: covered, barMaxWidth: 36 },
      { name: "Not covered", type: "bar", stack: "faq", data: uncovered, barMaxWidth: 36 },
    ],
  });
  return {
    name: "coverage",
    title: "Questions the FAQ covers and questions it does not, per week",
    svg,
    bars: count(covered) + count(uncovered),
    points: 0,
  };
}
