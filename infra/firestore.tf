resource "google_firestore_database" "default" {
  name                    = "(default)"
  location_id             = var.firestore_location
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  depends_on              = [google_project_service.enabled]
}

# The planner reads a school's synced classes: origin == "sis" AND sis.school_id == X.
resource "google_firestore_index" "classes_by_school" {
  collection = "classes"
  fields {
    field_path = "origin"
    order      = "ASCENDING"
  }
  fields {
    field_path = "sis.school_id"
    order      = "ASCENDING"
  }
  depends_on = [google_firestore_database.default]
}
