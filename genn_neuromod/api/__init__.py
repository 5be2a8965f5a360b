"""The PyGeNN 5 API: model definitions, initialisers, references, groups and ``GeNNModel``."""
