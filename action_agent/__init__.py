"""The Action Agent: validates, confirms and executes voice actions over the Luna domain store."""
