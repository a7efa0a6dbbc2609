module throughcare

go 1.26
