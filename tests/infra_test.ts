// Terraform has no binary here: parse every .tf file with an HCL parser and check what a reviewer would.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { parse } from "@cdktf/hcl2json";
import { fixture } from "./_helpers.ts";

const DIR = fixture("../infra/terraform/s3");
// deno-lint-ignore no-explicit-any
type Json = any;

async function load(): Promise<Record<string, Json>> {
  const out: Record<string, Json> = {};
  for (const e of Deno.readDirSync(DIR)) {
    if (e.name.endsWith(".tf")) out[e.name] = await parse(e.name, await Deno.readTextFile(`${DIR}/${e.name}`));
  }
  return out;
}

const files = await load();
/** One kind of block (resource, data, variable…) of every file, merged by type then name. */
function merged(kind: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of Object.values(files)) {
    for (const [type, byName] of Object.entries(f[kind] ?? {})) {
      out[type] = Array.isArray(byName) ? byName : { ...(out[type] ?? {}), ...(byName as Json) };
    }
  }
  return out;
}
const resources = merged("resource");
const data = merged("data");
const variables = merged("variable");
const one = (type: string, name: string) => {
  const r = resources[type]?.[name]?.[0];
  ok(r, `${type}.${name} is missing`);
  return r;
};

Deno.test("every .tf file parses, with the seed's files and no one-line multi-argument blocks", () => {
  for (const f of ["versions.tf", "provider.tf", "variables.tf", "main.tf", "outputs.tf"]) ok(files[f], f);
  for (const e of Deno.readDirSync(DIR)) {
    const text = Deno.readTextFileSync(`${DIR}/${e.name}`);
    // The seed's `variable "x" { type = string, default = "x" }` blocks do not parse: no block header may be
    // followed by several arguments on its line (object expressions after `=` are fine).
    ok(!/^\s*[a-z_]+(\s+"[^"]*")*\s*\{[^}\n]*=[^}\n]*[,=][^}\n]*\}/m.test(text), e.name);
  }
});

Deno.test("the bucket is private, owner-enforced, versioned, encrypted and TLS-only", async (t) => {
  await t.step("every public-access block is on", () => {
    const pab = one("aws_s3_bucket_public_access_block", "slack");
    for (const k of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]) {
      assertEquals(pab[k], true, k);
    }
  });
  await t.step("ACLs are off: BucketOwnerEnforced", () => {
    assertEquals(one("aws_s3_bucket_ownership_controls", "slack").rule[0].object_ownership, "BucketOwnerEnforced");
  });
  // Whole expressions, not substrings: a reversed condition (`? "Suspended" : "Enabled"`) must fail.
  await t.step("versioning follows enable_versioning, on by default", () => {
    const v = one("aws_s3_bucket_versioning", "slack");
    assertEquals(v.versioning_configuration, [{ status: '${var.enable_versioning ? "Enabled" : "Suspended"}' }]);
    assertEquals(v.bucket, "${aws_s3_bucket.slack.id}");
    assertEquals(variables.enable_versioning[0].default, true);
  });
  await t.step("default encryption: AES256, or KMS when use_kms", () => {
    const sse = one("aws_s3_bucket_server_side_encryption_configuration", "slack");
    assertEquals(sse.rule, [{
      apply_server_side_encryption_by_default: [{
        sse_algorithm: '${var.use_kms ? "aws:kms" : "AES256"}',
        kms_master_key_id: "${var.use_kms ? var.kms_key_arn : null}",
      }],
      bucket_key_enabled: "${var.use_kms}",
    }]);
    assertEquals(variables.use_kms[0].default, false);
    const locals = Object.assign({}, ...Object.values(files).flatMap((f) => f.locals ?? []));
    assertEquals(locals.kms_keys, '${var.use_kms && var.kms_key_arn != "" ? [var.kms_key_arn] : []}');
  });
  await t.step(
    "the bucket policy denies plain HTTP and TLS below 1.2 to everyone, on the bucket and its objects",
    () => {
      const everywhere = {
        effect: "Deny",
        actions: ["s3:*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        resources: ["${aws_s3_bucket.slack.arn}", "${aws_s3_bucket.slack.arn}/*"],
      };
      assertEquals(data.aws_iam_policy_document.bucket[0].statement, [
        {
          sid: "DenyInsecureTransport",
          ...everywhere,
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
        {
          sid: "DenyOutdatedTls",
          ...everywhere,
          condition: [{ test: "NumericLessThan", variable: "s3:TlsVersion", values: ["1.2"] }],
        },
      ]);
      assertEquals(one("aws_s3_bucket_policy", "slack"), {
        bucket: "${aws_s3_bucket.slack.id}",
        policy: "${data.aws_iam_policy_document.bucket.json}",
        depends_on: ["${aws_s3_bucket_public_access_block.slack}"],
      });
    },
  );
});

Deno.test("lifecycle covers raw, bronze, silver and gold, with multipart abort and noncurrent expiry", () => {
  const rules = one("aws_s3_bucket_lifecycle_configuration", "slack").rule as Json[];
  const byPrefix = new Map(rules.map((r) => [r.filter[0].prefix, r]));
  for (const prefix of ["raw/slack/", "bronze/slack/", "silver/slack/", "gold/"]) {
    const r = byPrefix.get(prefix);
    ok(r, prefix);
    assertEquals(r.status, "Enabled");
    ok(r.transition?.length > 0, `${prefix} transitions`);
    ok(r.abort_incomplete_multipart_upload?.[0]?.days_after_initiation, `${prefix} multipart abort`);
    ok(r.noncurrent_version_expiration?.[0]?.noncurrent_days, `${prefix} noncurrent expiry`);
  }
  assertEquals(byPrefix.get("raw/slack/").transition.map((x: Json) => x.storage_class), ["STANDARD_IA", "GLACIER"]);
});

Deno.test("IAM is least privilege: writers scoped by layer prefix, never the whole bucket", async (t) => {
  const docs = data.aws_iam_policy_document;
  const objectResources = (doc: string, action: string) =>
    docs[doc][0].statement.filter((s: Json) => s.actions.includes(action)).flatMap((s: Json) => s.resources);
  await t.step("no statement grants a write on bucket/* or s3:*", () => {
    for (const doc of ["ingest_writer", "classifier_writer"]) {
      for (const s of docs[doc][0].statement) {
        ok(!s.actions.includes("s3:*"), doc);
        for (const r of [s.resources].flat()) {
          ok(!/\/\*$/.test(r) || /\/[a-z_]+.*\*$/.test(r.replace("${local.bucket_arn}", "")), r);
        }
        for (const r of [s.resources].flat()) ok(r !== "${local.bucket_arn}/*", `${doc}: ${r}`);
      }
    }
  });
  await t.step(
    "fetch and ingest write raw/slack/, bronze/slack/, _state/ingest*, _state/fetch/ and _meta/slack/ only",
    () => {
      const own = [
        "${local.bucket_arn}/raw/slack/*",
        "${local.bucket_arn}/bronze/slack/*",
        "${local.bucket_arn}/_state/ingest*",
        "${local.bucket_arn}/_state/fetch/*",
        "${local.bucket_arn}/_meta/slack/*",
      ];
      assertEquals(objectResources("ingest_writer", "s3:PutObject"), own);
      // Ingest reads the names fetch and import:export store.
      assertEquals(objectResources("ingest_writer", "s3:GetObject"), own);
      const list = docs.ingest_writer[0].statement.find((s: Json) => s.actions.includes("s3:ListBucket"));
      for (const p of ["_state/fetch/*", "_meta/slack/*"]) ok(list.condition[0].values.includes(p), p);
    },
  );
  await t.step(
    "the classifier reads bronze and writes gold/, the FAQ, the groups, labels, heads, reports and its own state only",
    () => {
      ok(objectResources("classifier_writer", "s3:GetObject").includes("${local.bucket_arn}/bronze/slack/*"));
      assertEquals(objectResources("classifier_writer", "s3:PutObject"), [
        "${local.bucket_arn}/gold/*",
        "${local.bucket_arn}/reference/faq/*",
        "${local.bucket_arn}/silver/faq_clusters/*",
        "${local.bucket_arn}/labels/*",
        "${local.bucket_arn}/models/heads/*",
        "${local.bucket_arn}/reports/*",
        "${local.bucket_arn}/_state/classify*",
        "${local.bucket_arn}/_state/faq/*",
        "${local.bucket_arn}/_state/audit/*",
      ]);
      // It deletes the change records it consumed, and nothing else of ingest's.
      const consume = docs.classifier_writer[0].statement.find((s: Json) => s.sid === "ConsumeChangeJournal");
      assertEquals([consume.actions, consume.resources], [["s3:DeleteObject"], [
        "${local.bucket_arn}/_state/ingest/changes/*",
      ]]);
    },
  );
  await t.step("listing is limited to the same prefixes", () => {
    const listing = (doc: string) =>
      docs[doc][0].statement.find((s: Json) => s.actions.includes("s3:ListBucket")).condition;
    assertEquals(listing("ingest_writer"), [
      {
        test: "StringLike",
        variable: "s3:prefix",
        values: ["raw/slack/*", "bronze/slack/*", "_state/ingest*", "_state/fetch/*", "_meta/slack/*"],
      },
    ]);
    assertEquals(listing("classifier_writer"), [
      {
        test: "StringLike",
        variable: "s3:prefix",
        values: [
          "bronze/slack/*",
          "gold/*",
          "reference/faq/*",
          "silver/faq_clusters/*",
          "labels/*",
          "models/heads/*",
          "reports/*",
          "_state/classify*",
          "_state/faq/*",
          "_state/audit/*",
          "_state/ingest/changes/*",
        ],
      },
    ]);
  });
});

Deno.test("GitHub Actions assume a role through OIDC, limited to the repository and branch or environment", () => {
  const provider = one("aws_iam_openid_connect_provider", "github");
  assertEquals(provider.url, "https://token.actions.githubusercontent.com");
  assertEquals(provider.client_id_list, ["sts.amazonaws.com"]);
  const assume = data.aws_iam_policy_document.github_assume[0].statement[0];
  assertEquals(assume.actions, ["sts:AssumeRoleWithWebIdentity"]);
  assertEquals(assume.condition, [
    { test: "StringEquals", variable: "token.actions.githubusercontent.com:aud", values: ["sts.amazonaws.com"] },
    { test: "StringEquals", variable: "token.actions.githubusercontent.com:sub", values: ["${local.github_subject}"] },
  ]);
  const locals = Object.assign({}, ...Object.values(files).flatMap((f) => f.locals ?? []));
  assertEquals(
    locals.github_subject,
    '${var.github_environment != "" ? "repo:${var.github_repository}:environment:${var.github_environment}" : ' +
      '"repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"}',
  );
  ok(one("aws_iam_role_policy_attachment", "github_ingest").policy_arn.includes("ingest_writer"));
  ok(one("aws_iam_role_policy_attachment", "github_classifier").policy_arn.includes("classifier_writer"));
  const outputs = merged("output");
  ok(outputs.github_actions_role_arn[0].value.includes("aws_iam_role.github_actions"));
});

Deno.test("variables are validated", () => {
  for (
    const v of [
      "bucket_name",
      "raw_ia_days",
      "raw_glacier_days",
      "bronze_ia_days",
      "noncurrent_version_expiration_days",
      "abort_incomplete_multipart_days",
      "github_repository",
      "kms_key_arn",
    ]
  ) {
    ok(variables[v]?.[0]?.validation?.[0]?.condition, v);
  }
});

Deno.test("Glue tables project bronze and gold partitions for Athena", () => {
  const t = one("aws_glue_catalog_table", "lake");
  ok(t.parameters.includes("storage.location.template"));
  assertEquals(t.dynamic.partition_keys[0].for_each, "${local.partition_keys}");
  const locals = Object.assign({}, ...Object.values(files).flatMap((f) => f.locals ?? []));
  assertEquals(locals.projection["projection.enabled"], "true");
  assertEquals(locals.partition_keys.map((k: Json) => k.name), ["course_id", "year", "month", "day"]);
  assertEquals(Object.keys(locals.tables), ["bronze_messages", "gold_faq_labels"]);
});

Deno.test("Glue tables hold the FAQ columns of gold, reference_faq and silver_faq_clusters", async () => {
  const { GOLD_COLUMNS } = await import("../lib/classify/label.ts");
  const { FAQ_COLUMNS } = await import("../lib/faq/store.ts");
  const { CLUSTER_COLUMNS } = await import("../lib/faq/groups.ts");
  const locals = Object.assign({}, ...Object.values(files).flatMap((f) => f.locals ?? []));
  const gold = new Map(locals.gold_columns.map((c: Json) => [c.name, c.type]));
  assertEquals(gold.get("faq_matches"), "array<struct<faq_id:string,score:double>>");
  assertEquals(gold.get("faq_status"), "string");
  const partitions = ["course_id", "year", "month", "day"];
  assertEquals(
    [...gold.keys()].sort(),
    GOLD_COLUMNS.map((c) => c.name).filter((n) => !partitions.includes(n)).sort(),
  );
  assertEquals(Object.keys(locals.course_tables), ["reference_faq", "silver_faq_clusters"]);
  assertEquals(locals.course_tables.reference_faq.prefix, "reference/faq");
  assertEquals(locals.faq_columns.map((c: Json) => c.name), FAQ_COLUMNS.map((c) => c.name));
  assertEquals(locals.cluster_columns.map((c: Json) => c.name), CLUSTER_COLUMNS.map((c) => c.name));
  const t = one("aws_glue_catalog_table", "course");
  ok(t.parameters["storage.location.template"].includes("course_id=$${course_id}/"));
});
