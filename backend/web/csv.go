package web

// csvRoutes are the contact import and export endpoints.
func (a *API) csvRoutes() []Route { return nil }
