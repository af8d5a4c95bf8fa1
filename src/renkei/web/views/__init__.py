"""HTML views, one module per area. Views call selectors and services only; they hold no business rule."""
