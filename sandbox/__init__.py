"""Bundled local CRM sandbox: Salesforce REST and HubSpot CRM v3 subsets over real HTTP."""
