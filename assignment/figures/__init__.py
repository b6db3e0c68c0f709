"""The lecture figures, drawn from trained models of any implementation.

    python -m assignment.figures --out figures/       # every figure, PNG and PDF
    python -m assignment.figures --list               # what each figure shows
    python -m assignment.figures --only beta-kl ...   # some of them

The package is one module per family of figures (`convolution`,
`autoencoders`, `latent`, `beta_sweep`, `gaussians`, `conditional`, `vqvae`),
each figure a function `draw(ctx, out_path)`. `registry` lists them, `models`
says how the models they need are trained and cached, `context` holds what a
figure is drawn from, `style` the shared look, and `cli` the command line.
`estimate` says about how long training the models takes, and
`run_picture` draws the picture `python -m assignment.train` saves beside
the model it trained.
"""
