resource "google_firestore_database" "default" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  depends_on                        = [google_project_service.enabled]
}

# Composite indexes: one per query in shared/store/layout.py COMPOSITE_QUERIES, same collection
# group and fields in the same order (tools/infra_check.py and tests/infra check they agree).

# The school step reads a school's synced classes: origin == "sis" AND sis.school_id == X.
resource "google_firestore_index" "classes_by_school" {
  database    = google_firestore_database.default.name
  collection  = "classes"
  query_scope = "COLLECTION"
  fields {
    field_path = "origin"
    order      = "ASCENDING"
  }
  fields {
    field_path = "sis.school_id"
    order      = "ASCENDING"
  }
}

# The admin's runs list, newest first, filtered by state.
resource "google_firestore_index" "runs_by_state" {
  database    = google_firestore_database.default.name
  collection  = "runs"
  query_scope = "COLLECTION"
  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# The admin's runs list, newest first, filtered by kind.
resource "google_firestore_index" "runs_by_kind" {
  database    = google_firestore_database.default.name
  collection  = "runs"
  query_scope = "COLLECTION"
  fields {
    field_path = "kind"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# The runs list by kind and state; the district's latest ended full run (its warnings).
resource "google_firestore_index" "runs_by_kind_and_state" {
  database    = google_firestore_database.default.name
  collection  = "runs"
  query_scope = "COLLECTION"
  fields {
    field_path = "kind"
    order      = "ASCENDING"
  }
  fields {
    field_path = "state"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# A run's warnings of one kind in one school, in document order.
resource "google_firestore_index" "warnings_by_code_and_school" {
  database    = google_firestore_database.default.name
  collection  = "warnings"
  query_scope = "COLLECTION"
  fields {
    field_path = "code"
    order      = "ASCENDING"
  }
  fields {
    field_path = "school_id"
    order      = "ASCENDING"
  }
}

# The district's current warnings (epoch in [...]) of one kind, in document order.
resource "google_firestore_index" "warnings_by_epoch_and_code" {
  database    = google_firestore_database.default.name
  collection  = "warnings"
  query_scope = "COLLECTION"
  fields {
    field_path = "epoch"
    order      = "ASCENDING"
  }
  fields {
    field_path = "code"
    order      = "ASCENDING"
  }
}

# The district's current warnings of one school.
resource "google_firestore_index" "warnings_by_epoch_and_school" {
  database    = google_firestore_database.default.name
  collection  = "warnings"
  query_scope = "COLLECTION"
  fields {
    field_path = "epoch"
    order      = "ASCENDING"
  }
  fields {
    field_path = "school_id"
    order      = "ASCENDING"
  }
}

# The district's current warnings of one kind in one school.
resource "google_firestore_index" "warnings_by_epoch_code_and_school" {
  database    = google_firestore_database.default.name
  collection  = "warnings"
  query_scope = "COLLECTION"
  fields {
    field_path = "epoch"
    order      = "ASCENDING"
  }
  fields {
    field_path = "code"
    order      = "ASCENDING"
  }
  fields {
    field_path = "school_id"
    order      = "ASCENDING"
  }
}

# Fields kept out of every single-field index (an empty index_config disables them): large values
# read by path and never filtered or ordered on, one per entry of shared/store/layout.py
# UNINDEXED_FIELDS (tools/infra_check/ checks they agree). Every write of their documents then
# updates far fewer index entries. A mirrored record's `data` is one JSON text; an enrollment's
# `class_id` beside it stays indexed (mark export finds a section's enrollments by it).
resource "google_firestore_field" "mirror_classes_data" {
  database   = google_firestore_database.default.name
  collection = "sis_classes"
  field      = "data"
  index_config {}
}

resource "google_firestore_field" "mirror_teachers_data" {
  database   = google_firestore_database.default.name
  collection = "sis_teachers"
  field      = "data"
  index_config {}
}

resource "google_firestore_field" "mirror_students_data" {
  database   = google_firestore_database.default.name
  collection = "sis_students"
  field      = "data"
  index_config {}
}

resource "google_firestore_field" "mirror_enrollments_data" {
  database   = google_firestore_database.default.name
  collection = "sis_enrollments"
  field      = "data"
  index_config {}
}

resource "google_firestore_field" "page_ids" {
  database   = google_firestore_database.default.name
  collection = "pages"
  field      = "ids"
  index_config {}
}

resource "google_firestore_field" "key_value_holders" {
  database   = google_firestore_database.default.name
  collection = "key_values"
  field      = "holders"
  index_config {}
}

resource "google_firestore_field" "school_key_claims" {
  database   = google_firestore_database.default.name
  collection = "school_key_claims"
  field      = "claims"
  index_config {}
}

resource "google_firestore_field" "school_quiet_state" {
  database   = google_firestore_database.default.name
  collection = "schools"
  field      = "quiet"
  index_config {}
}

resource "google_firestore_field" "run_warning_chunks" {
  database   = google_firestore_database.default.name
  collection = "warning_chunks"
  field      = "entries"
  index_config {}
}

resource "google_firestore_field" "warning_history_chunks" {
  database   = google_firestore_database.default.name
  collection = "warning_history_chunks"
  field      = "entries"
  index_config {}
}

resource "google_firestore_field" "mirror_snapshot_chunks" {
  database   = google_firestore_database.default.name
  collection = "mirror_snapshot_chunks"
  field      = "entries"
  index_config {}
}

resource "google_firestore_field" "mirror_written_ids" {
  database   = google_firestore_database.default.name
  collection = "mirror_written"
  field      = "ids"
  index_config {}
}

resource "google_firestore_field" "mirror_copies_piece" {
  database   = google_firestore_database.default.name
  collection = "mirror_copies"
  field      = "piece"
  index_config {}
}

resource "google_firestore_field" "class_index_ids" {
  database   = google_firestore_database.default.name
  collection = "class_index"
  field      = "ids"
  index_config {}
}

# Security rules for the classroom app's direct reads and writes (firestore.rules; tested against
# the emulator by tests/infra/test_firestore_rules_*.py). The functions use IAM, not these rules.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id
  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/firestore.rules")
    }
  }
  lifecycle {
    create_before_destroy = true
  }
  depends_on = [google_firestore_database.default]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"
  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
