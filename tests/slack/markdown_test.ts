// Slack mrkdwn to Markdown, for FAQ drafts.
import { deepEqual as assertEquals } from "node:assert/strict";
import { mrkdwnToMarkdown } from "../../lib/slack/markdown.ts";

Deno.test("mrkdwnToMarkdown() turns Slack mrkdwn into Markdown a FAQ page renders", async (t) => {
  const cases: [string, string, string][] = [
    ["links keep their target", "see <https://x.org/a_b|the docs>", "see [the docs](https://x.org/a_b)"],
    ["a bare link becomes an autolink", "go to <https://x.org>", "go to <https://x.org>"],
    ["leading mentions are dropped", "<@U123> <@u456|bob>: try again", "try again"],
    ["other mentions keep their name", "ask <@U1|ana> or <@U2>", "ask @ana or @user"],
    ["channels and broadcasts", "in <#C1|general> <!here>", "in #general @here"],
    ["emphasis changes marks", "*bold* _it_ ~gone~", "**bold** *it* ~~gone~~"],
    ["marks inside code stay", "run `a*b*c` now", "run `a*b*c` now"],
    ["emphasis around code", "run *`make up`* then", "run **`make up`** then"],
    ["entities are decoded once", "a &amp;lt; b &amp; c &gt; d", "a &lt; b & c > d"],
    [
      "HTML in a reply stays text: < is kept as an entity outside code",
      "try &lt;script&gt;alert(1)&lt;/script&gt; or &lt;!-- x and `&lt;b&gt;`",
      "try &lt;script>alert(1)&lt;/script> or &lt;!-- x and `<b>`",
    ],
    ["code fences get their own lines", "try ```pip install x``` please", "try\n```\npip install x\n```\nplease"],
    ["fences keep their content", "```\nif a &lt; b:\n  *x*\n```", "```\nif a < b:\n  *x*\n```"],
    ["bullets become list items", "• one\n• two", "- one\n- two"],
    ["a quote ends at its line", "&gt; quoted\nreply", "> quoted\n\nreply"],
    [
      "file URLs lose their token",
      "<https://files.slack.com/a.png?t=xoxe-123|shot>",
      "[shot](https://files.slack.com/a.png)",
    ],
    ["tokens are redacted", "my token xoxb-1234-abcd leaked", "my token [REDACTED] leaked"],
    ["a 2*3*4 product stays", "2*3*4", "2*3*4"],
    ["brackets in labels are escaped", "<https://x.org|a [b]>", "[a \\[b\\]](https://x.org)"],
  ];
  for (const [name, input, want] of cases) {
    await t.step(name, () => assertEquals(mrkdwnToMarkdown(input), want));
  }
});
