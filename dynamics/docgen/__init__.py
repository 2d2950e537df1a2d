"""Documentation generated from the code: the model document, parameter reference and the
README's equations (:mod:`dynamics.docgen.reference`) and the documentation site's pages
(:mod:`dynamics.docgen.site`). It sits with the command line at the top of the package:
the site's command-line reference reads the CLI's parser."""
