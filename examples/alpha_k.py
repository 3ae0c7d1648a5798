"""Reproduces results/counting_default_alpha_k.png from Python: alpha^(k,k)/alpha^(1,1) against
k/(N1+N2) on the default model, with Lemma 3.2's bound k. Run from the repository root after
`pip install ./python matplotlib`:  python examples/alpha_k.py"""
import matplotlib.pyplot as plt
import pickl

table, pi, alpha_k = pickl.counting()  # the default model, as `counting` with no flags
n = 20  # N1 + N2
for t in (1.0, 2.0, 3.0):
    on = (alpha_k["t"] == t) & (alpha_k["k1"] == alpha_k["k2"])
    k, alpha11 = alpha_k["k1"][on], table["alpha11"][table["t"] == t][0]
    plt.plot(k / n, alpha_k["alpha"][on] / alpha11, "o-", label=f"t = {t:g}")
    print(f"t = {t:g}: alpha^(k,k)/(k alpha^(1,1)) at k = N/2: {alpha_k['alpha'][on][-1] / (k[-1] * alpha11):.3f}")
plt.plot([0, 0.5], [0, 0.5 * n], "k--", label="Lemma 3.2 (3.8): k")
plt.xlabel("k / (N1 + N2)"), plt.ylabel("alpha^(k,k) / alpha^(1,1)"), plt.legend()
plt.savefig("alpha_k.png", dpi=120)
