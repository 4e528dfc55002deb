# Each job may touch only its layers' prefixes; nothing gets the whole bucket.
locals {
  bucket_arn = aws_s3_bucket.slack.arn
  kms_keys   = var.use_kms && var.kms_key_arn != "" ? [var.kms_key_arn] : []
}

data "aws_iam_policy_document" "ingest_writer" {
  statement {
    sid       = "ListOwnPrefixes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["raw/slack/*", "bronze/slack/*", "_state/ingest*", "_state/fetch/*", "_meta/slack/*"]
    }
  }

  statement {
    sid       = "ReadRawBronzeAndIngestState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/raw/slack/*", "${local.bucket_arn}/bronze/slack/*", "${local.bucket_arn}/_state/ingest*", "${local.bucket_arn}/_state/fetch/*", "${local.bucket_arn}/_meta/slack/*"]
  }

  statement {
    sid       = "WriteRawBronzeAndIngestState"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${local.bucket_arn}/raw/slack/*", "${local.bucket_arn}/bronze/slack/*", "${local.bucket_arn}/_state/ingest*", "${local.bucket_arn}/_state/fetch/*", "${local.bucket_arn}/_meta/slack/*"]
  }

  dynamic "statement" {
    for_each = length(local.kms_keys) > 0 ? [1] : []

    content {
      sid       = "UseLakeKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = local.kms_keys
    }
  }
}

data "aws_iam_policy_document" "classifier_writer" {
  statement {
    sid       = "ListOwnPrefixes"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["bronze/slack/*", "gold/*", "reference/faq/*", "silver/faq_clusters/*", "labels/*", "models/heads/*", "reports/*", "_state/classify*", "_state/faq/*", "_state/audit/*", "_state/ingest/changes/*"]
    }
  }

  statement {
    sid       = "ReadBronzeGoldAndState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/bronze/slack/*", "${local.bucket_arn}/gold/*", "${local.bucket_arn}/reference/faq/*", "${local.bucket_arn}/silver/faq_clusters/*", "${local.bucket_arn}/labels/*", "${local.bucket_arn}/models/heads/*", "${local.bucket_arn}/reports/*", "${local.bucket_arn}/_state/classify*", "${local.bucket_arn}/_state/faq/*", "${local.bucket_arn}/_state/audit/*", "${local.bucket_arn}/_state/ingest/changes/*"]
  }

  statement {
    sid       = "WriteGoldAndClassifierState"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${local.bucket_arn}/gold/*", "${local.bucket_arn}/reference/faq/*", "${local.bucket_arn}/silver/faq_clusters/*", "${local.bucket_arn}/labels/*", "${local.bucket_arn}/models/heads/*", "${local.bucket_arn}/reports/*", "${local.bucket_arn}/_state/classify*", "${local.bucket_arn}/_state/faq/*", "${local.bucket_arn}/_state/audit/*"]
  }

  # label:daily deletes the change records it has labeled, so the journal stays small.
  statement {
    sid       = "ConsumeChangeJournal"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.bucket_arn}/_state/ingest/changes/*"]
  }

  dynamic "statement" {
    for_each = length(local.kms_keys) > 0 ? [1] : []

    content {
      sid       = "UseLakeKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = local.kms_keys
    }
  }
}

resource "aws_iam_policy" "ingest_writer" {
  count       = var.create_writer_policies ? 1 : 0
  name        = "${var.bucket_name}-ingest-writer"
  description = "Fetch and ingest: read and write raw/slack/, bronze/slack/, _meta/slack/, _state/fetch/ and _state/ingest* of the Slack lake."
  policy      = data.aws_iam_policy_document.ingest_writer.json
}

resource "aws_iam_policy" "classifier_writer" {
  count       = var.create_writer_policies ? 1 : 0
  name        = "${var.bucket_name}-classifier-writer"
  description = "Classifier: read bronze/slack/ and the ingest change journal, write gold/, reference/faq/, silver/faq_clusters/, labels/, models/heads/, reports/ and its state of the Slack lake."
  policy      = data.aws_iam_policy_document.classifier_writer.json
}

# GitHub Actions: short-lived credentials through OIDC, no long-lived keys.
resource "aws_iam_openid_connect_provider" "github" {
  count           = var.github_repository != "" && var.create_github_oidc_provider ? 1 : 0
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

locals {
  github_oidc_provider_arn = var.create_github_oidc_provider ? try(aws_iam_openid_connect_provider.github[0].arn, "") : var.github_oidc_provider_arn
  github_subject           = var.github_environment != "" ? "repo:${var.github_repository}:environment:${var.github_environment}" : "repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"
}

data "aws_iam_policy_document" "github_assume" {
  statement {
    sid     = "GitHubActionsOidc"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [local.github_subject]
    }
  }
}

resource "aws_iam_role" "github_actions" {
  count                = var.github_repository != "" ? 1 : 0
  name                 = "${var.bucket_name}-github-actions"
  description          = "Assumed by the daily workflow of ${var.github_repository} through GitHub OIDC."
  assume_role_policy   = data.aws_iam_policy_document.github_assume.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "github_ingest" {
  count      = var.github_repository != "" && var.create_writer_policies ? 1 : 0
  role       = aws_iam_role.github_actions[0].name
  policy_arn = aws_iam_policy.ingest_writer[0].arn
}

resource "aws_iam_role_policy_attachment" "github_classifier" {
  count      = var.github_repository != "" && var.create_writer_policies ? 1 : 0
  role       = aws_iam_role.github_actions[0].name
  policy_arn = aws_iam_policy.classifier_writer[0].arn
}
