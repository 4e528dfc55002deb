/// <reference lib="dom" />
// The report page in a real headless Chromium (Debian's chromium, driven by puppeteer-core): charts are
// non-empty SVGs with the expected bars and points, the console is clean, and no request leaves the page.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { MemoryLake } from "../../lib/lake.ts";
import { buildReport } from "../../lib/report/report.ts";
import { course } from "../_helpers.ts";
import { STAFF, standardLake, WINDOW } from "./_lake.ts";

const CHROMIUM = "/usr/bin/chromium";

// The README's test command must pass on a machine with only Node.js and npm, so there the browser tests are
// reported as ignored, with the reason in their name. Under CI (.ci/run installs chromium) a missing browser fails.
const NO_BROWSER = (() => {
  try {
    Deno.statSync(CHROMIUM);
    return false;
  } catch {
    return !Deno.env.get("CI");
  }
})();
const BROWSER = { ignore: NO_BROWSER };
const WHY = NO_BROWSER ? ` (ignored: no ${CHROMIUM}; "apt-get install -y chromium" runs it, as .ci/run does)` : "";

async function launch(): Promise<{ browser: Browser; profile: string }> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the report's browser test needs it. Install it with "apt-get install -y chromium" (.ci/run does).`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "report-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  return { browser, profile };
}

interface ChartFacts {
  name: string;
  bars: number;
  points: number;
  svgs: number;
  paths: number;
  /** Per series index: distinct data indices drawn. */
  marks: Record<string, number>;
}

Deno.test(
  `report page renders in Chromium with real charts, no console error and no request${WHY}`,
  BROWSER,
  async (t) => {
    const lake = new MemoryLake();
    const facts = await standardLake(lake);
    const { html } = await buildReport(lake, {
      courses: [
        course("ml", { channelId: "C0288NJ5XSA", channel: "course-ml", staff: [STAFF] }),
        course("nofaq"),
        course("quiet"),
        course("empty"),
      ],
      window: WINDOW,
      slackDomain: "datatalks-club",
      now: () => new Date("2024-02-26T08:00:00Z"),
    });
    const dir = await Deno.makeTempDir({ prefix: "report-page-" });
    const file = path.join(dir, "report.html");
    await Deno.writeTextFile(file, html);
    const url = `file://${file}`;
    const { browser, profile } = await launch();
    try {
      const requests: string[] = [];
      const errors: string[] = [];
      let sawPage = 0;
      const page = await browser.newPage();
      await page.setRequestInterception(true);
      page.on("request", (req) => {
        if (req.url() !== url) requests.push(req.url());
        // Nothing but the page itself may load; anything else is refused.
        if (req.url() === url) {
          sawPage++;
          req.continue();
        } else req.abort();
      });
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(url, { waitUntil: "load" });

      const charts: ChartFacts[] = await page.evaluate(() =>
        [...document.querySelectorAll("figure.chart")].map((f) => {
          const marks: Record<string, Set<string>> = {};
          for (const el of f.querySelectorAll("[ecmeta_ssr_type=chart][ecmeta_series_index][ecmeta_data_index]")) {
            const s = el.getAttribute("ecmeta_series_index")!;
            (marks[s] ??= new Set()).add(el.getAttribute("ecmeta_data_index")!);
          }
          return {
            name: f.getAttribute("data-chart")!,
            bars: Number(f.getAttribute("data-bars")),
            points: Number(f.getAttribute("data-points")),
            svgs: f.querySelectorAll("svg").length,
            paths: f.querySelectorAll("svg path").length,
            marks: Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, v.size])),
          };
        })
      );

      await t.step("every chart is one non-empty SVG whose marks match its data", () => {
        ok(charts.length > 0);
        for (const c of charts) {
          assertEquals(c.svgs, 1, c.name);
          ok(c.paths > 0, `${c.name} has paths`);
          const drawn = Object.values(c.marks).reduce((a, b) => a + b, 0);
          assertEquals(drawn, c.bars + c.points, `${c.name}: marks drawn vs bars + points`);
        }
      });

      await t.step("the charts hold the lake's weeks: 8 weeks, 2 bars each, 8 points of reply time", () => {
        // ml: activity, answers, coverage; nofaq: activity, answers (no FAQ, no coverage chart);
        // quiet: activity only (no question); empty: no chart.
        assertEquals(charts.map((c) => c.name), ["activity", "answers", "coverage", "activity", "answers", "activity"]);
        const [activity, answers, coverage] = charts;
        assertEquals(activity!.marks, { "0": facts.weeks, "1": facts.weeks });
        assertEquals(answers!.marks, { "0": facts.weeks, "1": facts.weeks });
        assertEquals([answers!.bars, answers!.points], [facts.weeks, facts.weeks]);
        assertEquals(coverage!.marks, { "0": facts.weeks, "1": facts.weeks });
        // nofaq answered only its first question: one week with a reply time.
        assertEquals(charts[4]!.points, 1);
      });

      await t.step("no console error and no request besides the page itself", () => {
        assertEquals(errors, []);
        assertEquals(requests, []);
        ok(sawPage >= 1, "the interception saw the page's own request");
      });

      await t.step("the request counter does see a request when a page makes one", async () => {
        const probe = path.join(dir, "probe.html");
        await Deno.writeTextFile(probe, `<!doctype html><img src="http://127.0.0.1:9/x.png">`);
        const other = await browser.newPage();
        const seen: string[] = [];
        await other.setRequestInterception(true);
        other.on("request", (req) => {
          if (req.url() !== `file://${probe}`) seen.push(req.url());
          req.url() === `file://${probe}` ? req.continue() : req.abort();
        });
        await other.goto(`file://${probe}`, { waitUntil: "load" });
        assertEquals(seen, ["http://127.0.0.1:9/x.png"]);
        await other.close();
      });

      await t.step("clear words for no FAQ, no question and no message", async () => {
        const text = await page.evaluate(() => document.body.innerText);
        ok(text.includes("This course has no FAQ in the lake"));
        ok(text.includes("none was labeled a question in this window"));
        ok(text.includes("No messages from this course in the window"));
      });

      await t.step("lake text is escaped, and Slack links point at the messages", async () => {
        const bold = await page.evaluate(() => document.querySelectorAll("main .q b, main pre b").length);
        assertEquals(bold, 0, "a <b> in a canonical text stays text");
        ok(html.includes("&lt;b&gt;form&lt;/b&gt;"));
        const hrefs: string[] = await page.evaluate(() =>
          [...document.querySelectorAll("a[href^='https://']")].map((a) => a.getAttribute("href")!)
        );
        ok(hrefs.length > 0);
        for (const h of hrefs) ok(/^https:\/\/datatalks-club\.slack\.com\/archives\/C0288NJ5XSA\/p\d{16}$/.test(h), h);
      });

      await t.step("screenshots at desktop and phone widths; nothing overflows the phone", async () => {
        await page.screenshot({ path: "/tmp/report-desktop.png", fullPage: true });
        await page.setViewport({ width: 390, height: 844 });
        await page.goto(url, { waitUntil: "load" });
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        ok(width <= 390, `page is ${width}px wide on a 390px phone`);
        await page.screenshot({ path: "/tmp/report-phone.png", fullPage: true });
        await page.emulateMediaType("print");
        const navShown = await page.evaluate(() => getComputedStyle(document.querySelector("nav")!).display);
        assertEquals(navShown, "none", "print hides the navigation");
        assertEquals(requests, []);
      });
    } finally {
      await browser.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(`a window with no data gets a page that says so, in Chromium too${WHY}`, BROWSER, async () => {
  const lake = new MemoryLake();
  await standardLake(lake);
  const { html } = await buildReport(lake, {
    courses: [course("ml"), course("nofaq")],
    window: { since: "2023-01-02", until: "2023-02-26" },
  });
  const dir = await Deno.makeTempDir({ prefix: "report-page-" });
  const file = path.join(dir, "report.html");
  await Deno.writeTextFile(file, html);
  const { browser, profile } = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    const text = await page.evaluate(() => document.body.innerText);
    ok(text.includes("No data in this window"), text);
    ok(text.includes("2023-01-02") && text.includes("ml, nofaq"));
    assertEquals(await page.evaluate(() => document.querySelectorAll("svg").length), 0);
  } finally {
    await browser.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
