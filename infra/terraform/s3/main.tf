resource "aws_s3_bucket" "slack" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_public_access_block" "slack" {
  bucket                  = aws_s3_bucket.slack.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: the bucket owner owns every object, and access is by policy only.
resource "aws_s3_bucket_ownership_controls" "slack" {
  bucket = aws_s3_bucket.slack.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "slack" {
  bucket = aws_s3_bucket.slack.id

  versioning_configuration {
    status = var.enable_versioning ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "slack" {
  bucket = aws_s3_bucket.slack.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.use_kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.use_kms ? var.kms_key_arn : null
    }
    bucket_key_enabled = var.use_kms
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    resources = [aws_s3_bucket.slack.arn, "${aws_s3_bucket.slack.arn}/*"]

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    resources = [aws_s3_bucket.slack.arn, "${aws_s3_bucket.slack.arn}/*"]

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "slack" {
  bucket = aws_s3_bucket.slack.id
  policy = data.aws_iam_policy_document.bucket.json

  # The public access block must exist first, or the policy can be refused as public.
  depends_on = [aws_s3_bucket_public_access_block.slack]
}

resource "aws_s3_bucket_lifecycle_configuration" "slack" {
  bucket = aws_s3_bucket.slack.id

  # Lifecycle rules on a versioned bucket need versioning configured first.
  depends_on = [aws_s3_bucket_versioning.slack]

  rule {
    id     = "raw-transitions"
    status = "Enabled"

    filter {
      prefix = "raw/slack/"
    }

    transition {
      days          = var.raw_ia_days
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = var.raw_glacier_days
      storage_class = "GLACIER"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  rule {
    id     = "bronze-transitions"
    status = "Enabled"

    filter {
      prefix = "bronze/slack/"
    }

    transition {
      days          = var.bronze_ia_days
      storage_class = "STANDARD_IA"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  rule {
    id     = "silver-transitions"
    status = "Enabled"

    filter {
      prefix = "silver/slack/"
    }

    transition {
      days          = var.silver_ia_days
      storage_class = "STANDARD_IA"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  rule {
    id     = "gold-transitions"
    status = "Enabled"

    filter {
      prefix = "gold/"
    }

    transition {
      days          = var.gold_ia_days
      storage_class = "STANDARD_IA"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  rule {
    id     = "state-housekeeping"
    status = "Enabled"

    filter {
      prefix = "_state/"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_days
    }
  }

  rule {
    id     = "run-records-expiry"
    status = "Enabled"

    filter {
      prefix = "_state/ingest/runs/"
    }

    expiration {
      days = var.run_record_expiration_days
    }
  }
}
