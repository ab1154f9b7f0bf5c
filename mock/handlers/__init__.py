"""Request handlers: one module per API surface (AIHubMix videos, APIMart, the control plane)."""
