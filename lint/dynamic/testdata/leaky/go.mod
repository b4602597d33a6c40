module dyn

go 1.26
