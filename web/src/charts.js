// Live charts (uPlot), fed once per second with the feed worker's per-second history.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const AXIS = { stroke: "#7d8b99", grid: { stroke: "#1c2631", width: 1 }, ticks: { stroke: "#1c2631" }, font: "11px ui-monospace, monospace" };
const pad = (n) => String(n).padStart(2, "0");
const timeLabels = (u, splits) => splits.map((t) => {
  const d = new Date(t * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
});

function series(label, stroke, fill) {
  return { label, stroke, width: 1.5, fill, points: { show: false }, spanGaps: false };
}

function makeChart(element, lines, yRange) {
  const opts = {
    width: element.clientWidth || 300,
    height: 130,
    legend: { show: true, live: false },
    cursor: { show: false },
    scales: { x: { time: true }, y: yRange ? { range: yRange } : { auto: true } },
    axes: [{ ...AXIS, space: 70, values: timeLabels }, { ...AXIS, size: 58 }],
    series: [{}, ...lines],
  };
  const chart = new uPlot(opts, [[], ...lines.map(() => [])], element);
  new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 130 })).observe(element);
  return chart;
}

export class Charts {
  constructor() {
    this.rate = makeChart(document.getElementById("chart-rate"), [
      series("completed/s", "#4f9dff", "rgba(79,157,255,0.12)"),
    ]);
    this.done = makeChart(document.getElementById("chart-done"), [
      series("DONE %", "#3fb950", "rgba(63,185,80,0.12)"),
    ], () => [0, 100]);
    this.latency = makeChart(document.getElementById("chart-latency"), [
      series("p50", "#d2a8ff"),
      series("p99", "#ff7b72"),
    ]);
    this.stages = makeChart(document.getElementById("chart-stages"), [
      series("gen→enriched", "#79c0ff"),
      series("→decided", "#e3b341"),
      series("→browser", "#56d364"),
    ]);
  }

  /**
   * Redraws one chart per animation frame: four in one task could take longer than a frame.
   * @param {Record<string, (number | null)[]>} c one column per series, one point per second
   */
  update(c) {
    const draws = [
      () => this.rate.setData([c.t, c.rate]),
      () => this.done.setData([c.t, c.doneRatio]),
      () => this.latency.setData([c.t, c.p50, c.p99]),
      () => this.stages.setData([c.t, c.enrich, c.decide, c.deliver]),
    ];
    const next = () => {
      draws.shift()();
      if (draws.length) requestAnimationFrame(next);
    };
    requestAnimationFrame(next);
  }
}
