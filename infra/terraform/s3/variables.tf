variable "aws_region" {
  description = "Region of the bucket."
  type        = string
  default     = "ap-south-1"
}

variable "bucket_name" {
  description = "Name of the lake bucket, for example dtc-slack-data-prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.", var.bucket_name)) && !can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.bucket_name)) && !startswith(var.bucket_name, "xn--")
    error_message = "The bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens, start and end with a letter or digit, have no two dots in a row, not look like an IP address and not start with xn--."
  }
}

variable "use_kms" {
  description = "Encrypt with a KMS key (aws:kms) instead of S3-managed keys (AES256)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "ARN of the KMS key used when use_kms is true."
  type        = string
  default     = ""

  validation {
    condition     = var.kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "enable_versioning" {
  description = "Keep object versions, so an overwritten partition can be recovered."
  type        = bool
  default     = true
}

variable "raw_ia_days" {
  description = "Days before raw Slack JSON moves to STANDARD_IA (30 at least)."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_ia_days >= 30 && floor(var.raw_ia_days) == var.raw_ia_days
    error_message = "raw_ia_days must be a whole number of 30 or more: S3 refuses STANDARD_IA earlier."
  }
}

variable "raw_glacier_days" {
  description = "Days before raw Slack JSON moves to GLACIER."
  type        = number
  default     = 180

  validation {
    condition     = var.raw_glacier_days > 0 && floor(var.raw_glacier_days) == var.raw_glacier_days
    error_message = "raw_glacier_days must be a positive whole number."
  }
}

variable "bronze_ia_days" {
  description = "Days before bronze Parquet moves to STANDARD_IA (30 at least)."
  type        = number
  default     = 30

  validation {
    condition     = var.bronze_ia_days >= 30 && floor(var.bronze_ia_days) == var.bronze_ia_days
    error_message = "bronze_ia_days must be a whole number of 30 or more."
  }
}

variable "silver_ia_days" {
  description = "Days before silver data moves to STANDARD_IA (30 at least)."
  type        = number
  default     = 30

  validation {
    condition     = var.silver_ia_days >= 30 && floor(var.silver_ia_days) == var.silver_ia_days
    error_message = "silver_ia_days must be a whole number of 30 or more."
  }
}

variable "gold_ia_days" {
  description = "Days before gold labels move to STANDARD_IA (30 at least)."
  type        = number
  default     = 90

  validation {
    condition     = var.gold_ia_days >= 30 && floor(var.gold_ia_days) == var.gold_ia_days
    error_message = "gold_ia_days must be a whole number of 30 or more."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced (noncurrent) object version is kept before it expires."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days > 0 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a positive whole number."
  }
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which an unfinished multipart upload is aborted and its parts deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_days > 0 && floor(var.abort_incomplete_multipart_days) == var.abort_incomplete_multipart_days
    error_message = "abort_incomplete_multipart_days must be a positive whole number."
  }
}

variable "run_record_expiration_days" {
  description = "Days the ingest run records and quarantine reports under _state/ingest/ are kept."
  type        = number
  default     = 180

  validation {
    condition     = var.run_record_expiration_days > 0 && floor(var.run_record_expiration_days) == var.run_record_expiration_days
    error_message = "run_record_expiration_days must be a positive whole number."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "create_writer_policies" {
  description = "Create the least-privilege ingest and classifier policies."
  type        = bool
  default     = true
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the role; empty for no role."
  type        = string
  default     = ""

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, for example DataTalksClub/slack-faq-lake."
  }
}

variable "github_branch" {
  description = "The branch whose workflows may assume the role."
  type        = string
  default     = "main"
}

variable "github_environment" {
  description = "A GitHub environment to require instead of the branch (recommended: protect it with reviewers); empty to use the branch."
  type        = string
  default     = ""
}

variable "create_github_oidc_provider" {
  description = "Create GitHub's OIDC identity provider; set false when the account already has one."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider, used when create_github_oidc_provider is false."
  type        = string
  default     = ""
}

variable "create_glue_catalog" {
  description = "Create a Glue database and the bronze and gold tables with partition projection, for Athena."
  type        = bool
  default     = true
}

variable "glue_database_name" {
  description = "Name of the Glue database."
  type        = string
  default     = "slack_faq_lake"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.glue_database_name))
    error_message = "glue_database_name must be lower-case letters, digits and underscores."
  }
}

variable "course_ids" {
  description = "Course ids, for Athena's partition projection of course_id (keep in line with courses.yml)."
  type        = list(string)
  default     = ["ml-zoomcamp", "de-zoomcamp"]

  validation {
    condition     = length(var.course_ids) > 0 && alltrue([for c in var.course_ids : can(regex("^[a-z0-9][a-z0-9_-]{0,62}$", c))])
    error_message = "course_ids must be a non-empty list of course ids as in courses.yml."
  }
}

variable "projection_start_year" {
  description = "First year of Athena's partition projection."
  type        = number
  default     = 2020

  validation {
    condition     = var.projection_start_year >= 2013 && floor(var.projection_start_year) == var.projection_start_year
    error_message = "projection_start_year must be a whole year, 2013 or later."
  }
}
