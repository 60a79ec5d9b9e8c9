"""
Cases needed for an AUC
=======================

Cases needed (1:1 design, 80 % power, two-sided α = 0.05) to show an AUC above 0.5, by the AUC
expected.
"""

import matplotlib.pyplot as plt

import ovcfstats as ov

aucs = [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
needed = [ov.power_auc(a, power=0.8, kappa=1).table["n_cases"].iloc[0] for a in aucs]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(aucs, needed, marker="o")
ax.set(xlabel="expected AUC", ylabel="cases needed", yscale="log")
ax.grid(alpha=0.3)

# %%
# One design as a table.
ov.power_auc(0.75, power=0.8, kappa=1)
