"""What teachers change on their classes through the API: offers, names, hand-made roster
changes and their undo, links; each one a conditional field-path write and an audit record."""
