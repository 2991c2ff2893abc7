module aramid

go 1.26
