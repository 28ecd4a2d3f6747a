"""Parts of the lead programming panel (ui.lead_panel.LeadPanel): one module per area."""
