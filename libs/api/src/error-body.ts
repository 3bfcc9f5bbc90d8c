/** Every error the API returns has this body (Docker's ErrorResponse). */
export interface ErrorBody {
  message: string;
}
