"""The game's dynamics: the Jacobian of its gradient field and the spectrum of its updates.

`jacobian`: the field (−∇_θ L_G, −∇_ψ L_D) through the game's own losses and the penalty's own
code, its Jacobian as products with vectors, the top eigenvalues by ARPACK. `dirac`: the
Dirac-GAN's theory at its equilibrium, from those and from the run's real update.
"""
