import { deepEqual as assertEquals } from "node:assert/strict";
import { assertThrows, fixture } from "./_helpers.ts";
import { buildConfig, parseCourses, selectCourses } from "../lib/config.ts";
import { ConfigError } from "../lib/errors.ts";

Deno.test({
  name: "parseCourses() reads the shipped courses.yml",
  permissions: { read: true, env: ["LOG_TOKENS", "LOG_STREAM"] },
}, () => {
  const text = Deno.readTextFileSync(fixture("../courses.yml"));
  const courses = parseCourses(text, "courses.yml");
  assertEquals(courses.map((c) => [c.id, c.channelId, c.rawPrefix]), [
    ["ml-zoomcamp", "C0288NJ5XSA", "raw/slack/ml-zoomcamp"],
    ["de-zoomcamp", "C01FABYF2RG", "raw/slack/de-zoomcamp"],
  ]);
  assertEquals(Object.isFrozen(courses) && Object.isFrozen(courses[0]), true);
});

Deno.test({
  name: "parseCourses() takes raw_prefix as a lake path or a full URL",
  permissions: { read: true, env: ["LOG_TOKENS", "LOG_STREAM"] },
}, () => {
  const courses = parseCourses(
    "courses:\n  - id: a\n    raw_prefix: /landing/a/\n  - id: b\n    raw_prefix: s3://other/raw/b\n",
    "c.yml",
  );
  assertEquals(courses.map((c) => [c.rawPrefix, c.rawIsUrl]), [["landing/a", false], ["s3://other/raw/b", true]]);
});

Deno.test(
  {
    name: "parseCourses() names the file and line of every mistake",
    permissions: { read: true, env: ["LOG_TOKENS", "LOG_STREAM"] },
  },
  async (t) => {
    const cases: [string, string, string][] = [
      ["malformed YAML", "courses:\n  - id: a\n    channel_id: [C1\n", "c.yml:4: YAML does not parse"],
      ["a repeated key", "courses:\n  - id: a\n    id: b\n", "c.yml:3: YAML does not parse: Map keys must be unique"],
      ["an unknown key", "courses:\n  - id: a\n    raw_prfix: x\n", 'c.yml:3: Unknown key "raw_prfix" in a course'],
      ["a missing id", "courses:\n  - id: a\n  - channel_id: C0288NJ5XSA\n", 'c.yml:3: Course has no "id"'],
      ["a repeated id", "courses:\n  - id: a\n  - id: a\n", 'c.yml:3: Course id "a" repeats the one on line 2'],
      ["a bad id", "courses:\n  - id: Bad Id\n", 'c.yml:2: Course id "Bad Id" is not valid'],
      [
        "a bad channel id",
        "courses:\n  - id: a\n    channel_id: general\n",
        'c.yml:3: channel_id "general" is not a Slack channel id',
      ],
      ["a non-string value", "courses:\n  - id: 12\n", 'c.yml:2: "id" must be a non-empty string'],
      ["an unknown top-level key", "course:\n  - id: a\n", 'c.yml:1: Unknown top-level key "course"'],
      ["no list", "courses: yes\n", 'c.yml:1: "courses" must be a list'],
      ["an empty list", "courses: []\n", "c.yml:1: No courses are listed"],
      [
        "a path out of the lake",
        "courses:\n  - id: a\n    raw_prefix: ../x\n",
        'c.yml:3: raw_prefix "../x" must be a path inside the lake',
      ],
    ];
    for (const [name, text, message] of cases) {
      await t.step(name, () => {
        const e = assertThrows(() => parseCourses(text, "c.yml"), ConfigError, message) as ConfigError;
        assertEquals(e.file, "c.yml");
      });
    }
  },
);

Deno.test(
  {
    name: "buildConfig() takes the lake from --lake, then LAKE_URL, then ./lake",
    permissions: { read: true, env: ["LOG_TOKENS", "LOG_STREAM"] },
  },
  () => {
    const coursesText = "courses:\n  - id: a\n";
    assertEquals(buildConfig({ coursesText, configFile: "c" }).lakeUrl, "./lake");
    assertEquals(buildConfig({ coursesText, configFile: "c", env: { LAKE_URL: "s3://b/p" } }).lakeUrl, "s3://b/p");
    assertEquals(
      buildConfig({ coursesText, configFile: "c", lake: "/x", env: { LAKE_URL: "s3://b/p" } }).lakeUrl,
      "/x",
    );
    const c = buildConfig({
      coursesText,
      configFile: "c",
      env: {
        AWS_ENDPOINT_URL: "http://a",
        AWS_ENDPOINT_URL_S3: "http://s3",
        AWS_S3_FORCE_PATH_STYLE: "true",
        AWS_REGION: "eu-west-1",
      },
    });
    assertEquals(c.s3, { region: "eu-west-1", endpoint: "http://s3", forcePathStyle: true });
    assertEquals(Object.isFrozen(c), true);
    assertThrows(
      () => buildConfig({ coursesText, configFile: "c", env: { AWS_S3_FORCE_PATH_STYLE: "maybe" } }),
      TypeError,
      'AWS_S3_FORCE_PATH_STYLE="maybe" is not a boolean',
    );
  },
);

Deno.test(
  {
    name: "selectCourses() refuses an unknown course and says where to add it",
    permissions: { read: true, env: ["LOG_TOKENS", "LOG_STREAM"] },
  },
  () => {
    const config = buildConfig({ coursesText: "courses:\n  - id: a\n  - id: b\n", configFile: "courses.yml" });
    assertEquals(selectCourses(config, ["b"]).map((c) => c.id), ["b"]);
    assertEquals(selectCourses(config, []).length, 2);
    assertThrows(() => selectCourses(config, ["zz"]), RangeError, 'Course "zz" is not in courses.yml: add it there');
  },
);

Deno.test("parseCourses() reads a course's FAQ source and rejects a wrong one with its line", async (t) => {
  await t.step("source and from_course", () => {
    const courses = parseCourses(
      "courses:\n  - id: a\n    faq:\n      source: ../faq/_questions\n      from_course: mlops-zoomcamp\n  - id: b\n",
      "c.yml",
    );
    assertEquals(courses.map((c) => c.faq), [{ source: "../faq/_questions", fromCourse: "mlops-zoomcamp" }, null]);
  });
  await t.step("no source", () => {
    assertThrows(
      () => parseCourses("courses:\n  - id: a\n    faq:\n      from_course: x\n", "c.yml"),
      ConfigError,
      'c.yml:4: "faq" needs a "source"',
    );
  });
  await t.step("an unknown key", () => {
    assertThrows(
      () => parseCourses("courses:\n  - id: a\n    faq:\n      source: x\n      path: y\n", "c.yml"),
      ConfigError,
      'Unknown key "path" in faq',
    );
  });
  await t.step("not a mapping", () => {
    assertThrows(
      () => parseCourses("courses:\n  - id: a\n    faq: x\n", "c.yml"),
      ConfigError,
      '"faq" must be a mapping',
    );
  });
});

Deno.test({
  name: "courses.yml takes a staff list per course and the workspace's Slack domain",
  permissions: { read: true, env: ["LOG_TOKENS", "LOG_STREAM"] },
}, async (t) => {
  await t.step("staff ids are upper-cased, deduplicated and frozen; absent means none", () => {
    const courses = parseCourses("courses:\n  - id: a\n    staff: [u01abc, U01ABC, W02XYZ]\n  - id: b\n", "c.yml");
    assertEquals(courses[0]!.staff, ["U01ABC", "W02XYZ"]);
    assertEquals(Object.isFrozen(courses[0]!.staff), true);
    assertEquals(courses[1]!.staff, []);
  });
  await t.step("the slack domain, with or without .slack.com; and a classifier section beside it", () => {
    const text = "slack:\n  domain: https://DataTalks-Club.slack.com\nclassifier:\n  low: 0.4\ncourses:\n  - id: a\n";
    const config = buildConfig({ coursesText: text, configFile: "c.yml" });
    assertEquals(config.slack, { domain: "datatalks-club" });
    assertEquals(config.classifier.low, 0.4);
    assertEquals(buildConfig({ coursesText: "courses:\n  - id: a\n", configFile: "c.yml" }).slack, {});
  });
  const cases: [string, string, string][] = [
    [
      "staff not a list",
      "courses:\n  - id: a\n    staff: U01ABC\n",
      'c.yml:3: "staff" must be a list of Slack user ids',
    ],
    [
      "a staff entry not a user id",
      "courses:\n  - id: a\n    staff: [bob]\n",
      'c.yml:3: staff "bob" is not a Slack user id',
    ],
    ["slack not a mapping", "slack: x\ncourses:\n  - id: a\n", 'c.yml:1: "slack" must be a mapping'],
    ["an unknown slack key", "slack:\n  team: x\ncourses:\n  - id: a\n", 'c.yml:2: Unknown key "team" in slack'],
    ["a bad domain", "slack:\n  domain: not a domain\ncourses:\n  - id: a\n", 'c.yml:2: slack domain "not a domain"'],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => {
      assertThrows(() => buildConfig({ coursesText: text, configFile: "c.yml" }), ConfigError, message);
    });
  }
});
