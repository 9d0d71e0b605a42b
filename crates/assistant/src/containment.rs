//! Containment (todo)
