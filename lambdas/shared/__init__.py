"""Code shared by the replication Lambdas; packaged into every function's zip."""
