"""The replay window (``seller-studio replay``): a support bundle's session on a timeline."""
